package devseed

// The vocabulary of a French town hall's mail. Lists are long enough that a
// hundred thousand letters do not read as a dozen repeated ones, and carry
// accents, apostrophes and ligatures on purpose: search and display must
// cope with "Lefèvre", "l'école" and "Œuvre" from the first day.

var firstNames = []string{
	"Jean", "Marie", "Pierre", "Hélène", "Jérôme", "Zoé", "Chloé", "Noël", "Joël", "Gaëlle",
	"Anaïs", "Loïc", "François", "Cécile", "Régis", "Frédéric", "Agnès", "Benoît", "Éric", "Élodie",
	"Stéphane", "Valérie", "Céline", "Sébastien", "Nathalie", "Thierry", "Sylvie", "Michel", "Isabelle", "Philippe",
	"Camille", "Léa", "Lucas", "Manon", "Hugo", "Inès", "Théo", "Maëlys", "Raphaël", "Léon",
	"Odile", "Gérard", "Josiane", "Bernadette", "Yves", "Renée", "André", "Geneviève", "Raymond", "Mireille",
	"Karim", "Fatima", "Mehdi", "Yasmine", "Nguyen", "Samia", "Antoine", "Margaux", "Clément", "Océane",
}

var lastNames = []string{
	"Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
	"Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier",
	"Morel", "Girard", "André", "Mercier", "Dupont", "Lambert", "Bonnet", "François", "Martinez", "Legrand",
	"Garnier", "Faure", "Rousseau", "Blanc", "Guérin", "Muller", "Henry", "Roussel", "Nicolas", "Perrin",
	"Morin", "Mathieu", "Clément", "Gauthier", "Dumont", "Lopez", "Fontaine", "Chevalier", "Robin", "Masson",
	"Gérard", "Boyer", "Denis", "Lemaire", "Duval", "Joly", "Roche", "Noël", "Meyer", "Lucas",
	"Meunier", "Pérez", "Marchand", "Dufour", "Blanchard", "Barbier", "Brun", "Dumas", "Brunet", "Schmitt",
	"Leroux", "Colin", "Fernandez", "Renard", "Arnaud", "Rolland", "Caron", "Aubert", "Giraud", "Leclerc",
	"Vidal", "Bourgeois", "Renaud", "Lemoine", "Picard", "Gaillard", "Lacroix", "Fabre", "Dupuis", "Olivier",
	"Da Silva", "Hubert", "Rivière", "Le Gall", "Ménard", "Fleury", "Deschamps", "Carpentier", "Prévost", "Poirier",
	"Charpentier", "Huet", "Baron", "Dupuy", "Carré", "Breton", "Rémy", "Schneider", "Perrot", "Barré",
	"Benoît", "Lefèbvre", "Bénard", "Delaunay", "Le Bihan", "Kerhervé", "Œuvrard", "Besnard", "Hoarau", "N'Diaye",
}

var civilities = []string{"M.", "Mme"}

var mailDomains = []string{
	"orange.fr", "free.fr", "gmail.com", "laposte.net", "wanadoo.fr", "sfr.fr", "hotmail.fr", "yahoo.fr", "outlook.fr", "bbox.fr",
}

var streets = []string{
	"rue de la République", "avenue Jean-Jaurès", "place de l'Église", "chemin des Vignes", "impasse des Lilas",
	"rue Victor-Hugo", "allée des Châtaigniers", "route de Lyon", "rue du Moulin", "boulevard Gambetta",
	"rue Pasteur", "rue des Écoles", "chemin de la Fontaine", "rue du Général-de-Gaulle", "place du Marché",
	"rue Émile-Zola", "rue de l'Hôtel-de-Ville", "lotissement Les Érables", "rue Saint-Exupéry", "quai de la Saône",
	"rue des Aubépines", "chemin du Stade", "rue Jules-Ferry", "avenue de la Gare", "rue du Château-d'Eau",
	"impasse du Lavoir", "rue des Tilleuls", "route de Bourg", "rue de la Poste", "chemin des Prés",
}

var quarters = []string{
	"le centre-bourg", "le hameau des Granges", "le quartier de la Gare", "la résidence Les Hauts-de-Saône",
	"le lotissement du Moulin", "le quartier Saint-Martin", "les Brosses", "le Champ-de-Foire",
}

var schools = []string{
	"l'école Jules-Ferry", "l'école maternelle Les Coquelicots", "l'école élémentaire Jean-Moulin",
	"le groupe scolaire Simone-Veil", "l'école primaire du Bourg",
}

var associations = []string{
	"Comité des fêtes", "Association sportive", "Club de l'âge d'or", "Amicale des sapeurs-pompiers",
	"Association des parents d'élèves", "Les Amis du patrimoine", "Judo-club", "Harmonie municipale",
	"Société de chasse", "Club de pétanque", "Association Théâtre et Compagnie", "Restos du cœur – antenne locale",
	"Football-club", "Chorale À Cœur Joie", "Amicale des anciens combattants", "Les Jardins partagés",
	"Tennis-club", "Gymnastique volontaire", "Bibliothèque pour tous", "Secours populaire – comité local",
}

// companyForms name the private firms that write to a town hall: builders,
// surveyors, notaries, bidders on public contracts.
var companyForms = []string{
	"SARL Bâtiments %s", "Entreprise %s TP", "Cabinet %s, géomètres-experts", "Étude de Maître %s, notaire",
	"%s Paysages", "Menuiserie %s", "Garage %s", "Boulangerie %s", "SAS %s Ingénierie", "Transports %s",
}

// publicBodies write to every town hall, often, always by e-mail.
var publicBodies = []struct{ name, email string }{
	{"Préfecture", "courrier@prefecture.gouv.fr"},
	{"Sous-préfecture", "sp-courrier@prefecture.gouv.fr"},
	{"Conseil départemental", "courrier@departement.fr"},
	{"Direction départementale des territoires", "ddt@territoires.gouv.fr"},
	{"Service de gestion comptable", "sgc@dgfip.finances.gouv.fr"},
	{"Caisse d'allocations familiales", "partenaires@caf.fr"},
	{"France Travail", "entreprise@francetravail.fr"},
	{"Direction des services départementaux de l'Éducation nationale", "ce.dsden@ac-academie.fr"},
	{"SDIS – Service départemental d'incendie et de secours", "prevention@sdis.fr"},
	{"Gendarmerie nationale – brigade territoriale", "bta@gendarmerie.interieur.gouv.fr"},
	{"Enedis", "collectivites@enedis.fr"},
	{"GRDF", "collectivites@grdf.fr"},
	{"Syndicat des eaux", "contact@syndicat-eaux.fr"},
	{"Communauté de communes", "accueil@cc-valdesaone.fr"},
	{"Agence régionale de santé", "ars-dt@ars.sante.fr"},
	{"Association des maires du département", "contact@amf-departement.fr"},
}

var amounts = []string{"500", "750", "1 200", "1 500", "2 000", "3 500", "4 800", "800", "250", "12 000"}

var contractObjects = []string{
	"la réfection de la toiture de l'école", "l'entretien des espaces verts", "la fourniture de repas pour la cantine",
	"les travaux de voirie 2025", "la rénovation énergétique de la mairie", "le marché de nettoyage des locaux",
	"l'acquisition d'un véhicule utilitaire électrique", "l'éclairage public en LED", "la maîtrise d'œuvre du gymnase",
}

var months = []string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"}

// SearchWords are what agents type in the search box: single words,
// accent-free spellings of accented words, prefixes, names and phrases.
// The load generator draws from them.
var SearchWords = []string{
	"permis", "élagage", "elagage", "cantine", "subvention", "bruit", "stationnement", "voirie",
	"urbanis*", "\"permis de construire\"", "trottoir", "haie", "naissance", "mariage", "Dupont", "Lefèvre",
	"lefevre", "concession", "marché", "association", "inscription", "chien", "éclairage", "CCAS",
	"\"nid de poule\"", "encombrants", "salle", "réclamation", "école", "Martin",
}
