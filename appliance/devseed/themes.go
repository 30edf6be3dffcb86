package devseed

// theme is one kind of business a town hall's mail is about. Weights follow
// the rough shares a courrier service sees: roads and town planning lead,
// public contracts are rare. Templates hold {placeholders} that expand to
// names, streets, dates and amounts, so that two letters of a theme differ
// in the words a search would match.
type theme struct {
	name    string
	weight  int
	entity  string  // entity code that deals with it
	doctype string  // doctype code
	orgs    float64 // share of correspondents that are organisations
	// assoc makes the organisation an association rather than a firm.
	assoc    bool
	subjects []string
	bodies   []string // paragraphs; a letter takes one to three
	notes    []string // what an agent annotates
	closes   []string // the closing note
	replies  []string // subjects of the town hall's outgoing letters
}

var themes = []theme{
	{
		name: "voirie", weight: 16, entity: "VOIRIE", doctype: "RECLAMATION", orgs: 0.05,
		subjects: []string{
			"Nid de poule dangereux {rue}", "Trottoir dégradé devant le {num} {rue}", "Éclairage public en panne {rue}",
			"Demande de ralentisseur {rue}", "Affaissement de chaussée dans {quartier}", "Signalisation manquante au carrefour {rue}",
			"Caniveau bouché {rue} – inondation à chaque orage", "Demande de passage piéton près de {ecole}",
		},
		bodies: []string{
			"Je me permets de vous signaler un nid de poule de belle taille au niveau du {num} {rue}. Plusieurs cyclistes ont déjà failli chuter et ma voiture a été endommagée le {date}.",
			"Depuis plusieurs semaines, le lampadaire situé devant mon domicile, {num} {rue}, ne fonctionne plus. La rue est plongée dans le noir dès 18 h, ce qui inquiète les riverains.",
			"Les véhicules circulent à vive allure {rue}, alors que de nombreux enfants se rendent à pied à {ecole}. Serait-il possible d'installer un ralentisseur ou un radar pédagogique ?",
			"Le trottoir est soulevé par les racines des arbres et n'est plus praticable pour les poussettes ni les fauteuils roulants.",
			"À chaque orage, le caniveau déborde et l'eau entre dans les garages. Je vous joins des photographies prises le {date}.",
		},
		notes: []string{
			"Passage de l'équipe voirie prévu la semaine prochaine.", "Devis demandé à l'entreprise titulaire du marché d'entretien.",
			"Signalé à la communauté de communes, compétente pour cette voie.", "Intervention provisoire réalisée (enrobé à froid).",
		},
		closes:  []string{"Travaux réalisés, riverain informé par téléphone.", "Réparation effectuée le {date}.", "Réponse écrite envoyée au demandeur."},
		replies: []string{"Réponse à votre signalement {rue}", "Travaux de voirie {rue} – information des riverains"},
	},
	{
		name: "urbanisme", weight: 14, entity: "URBA", doctype: "URBANISME", orgs: 0.2,
		subjects: []string{
			"Dépôt de permis de construire – parcelle {parcelle}", "Déclaration préalable pour une clôture {rue}",
			"Demande de certificat d'urbanisme – {parcelle}", "Recours gracieux contre le permis de construire accordé {rue}",
			"Pièces complémentaires – permis de construire n° PC {annee} {num}", "Déclaration préalable – pose de panneaux photovoltaïques",
			"Demande de renseignements sur le PLU – {quartier}", "Déclaration d'achèvement des travaux – {rue}",
		},
		bodies: []string{
			"Vous trouverez ci-joint ma demande de permis de construire pour une maison individuelle sur la parcelle cadastrée {parcelle}, {rue}.",
			"Je souhaite édifier une clôture en limite de propriété, d'une hauteur de 1,80 m, et vous adresse la déclaration préalable correspondante.",
			"Suite à votre courrier du {date}, je vous transmets les pièces complémentaires demandées : plan de masse, notice paysagère et photographies.",
			"En qualité de voisin immédiat, je conteste le permis accordé : la construction prévue masquerait totalement l'ensoleillement de mon jardin.",
			"Notre étude est chargée de la vente du bien situé {num} {rue}. Nous vous remercions de nous délivrer un certificat d'urbanisme d'information.",
		},
		notes: []string{
			"Dossier transmis au service instructeur de la communauté de communes.", "Dossier incomplet : lettre de demande de pièces à préparer.",
			"Avis de l'architecte des bâtiments de France requis (périmètre protégé).", "Affichage en mairie effectué.",
		},
		closes:  []string{"Arrêté accordant le permis signé le {date}.", "Non-opposition à la déclaration préalable notifiée.", "Certificat d'urbanisme délivré."},
		replies: []string{"Demande de pièces complémentaires – parcelle {parcelle}", "Arrêté de non-opposition à déclaration préalable"},
	},
	{
		name: "état civil", weight: 10, entity: "EC", doctype: "ETAT-CIVIL", orgs: 0.1,
		subjects: []string{
			"Demande de copie intégrale d'acte de naissance", "Demande d'extrait d'acte de mariage", "Dossier de mariage – cérémonie du {date}",
			"Demande de duplicata de livret de famille", "Reconnaissance anticipée – prise de rendez-vous", "Demande de rectification d'un acte d'état civil",
			"Transcription d'un acte de décès", "Demande de parrainage civil",
		},
		bodies: []string{
			"Je vous prie de bien vouloir m'adresser une copie intégrale de mon acte de naissance, né(e) dans votre commune le {date}.",
			"Nous souhaitons nous marier le {date} et vous adressons notre dossier de mariage accompagné des justificatifs de domicile.",
			"Ayant égaré notre livret de famille lors d'un déménagement, nous sollicitons la délivrance d'un duplicata.",
			"Notre nom, {nom}, est mal orthographié sur l'acte de naissance de notre fils {enfant} ; nous vous remercions de bien vouloir le faire rectifier.",
		},
		notes:   []string{"Acte envoyé par courrier.", "Pièce d'identité manquante, demandeur relancé par téléphone.", "Saisine du procureur pour rectification."},
		closes:  []string{"Acte délivré.", "Dossier complet, date de cérémonie confirmée.", "Duplicata remis en main propre."},
		replies: []string{"Votre demande d'acte d'état civil", "Confirmation de la date de votre mariage"},
	},
	{
		name: "écoles", weight: 9, entity: "ENF", doctype: "COURRIER", orgs: 0.15, assoc: true,
		subjects: []string{
			"Inscription scolaire de {enfant} à {ecole}", "Demande de dérogation de secteur scolaire", "Tarifs de la cantine – demande de révision",
			"Allergie alimentaire de {enfant} – projet d'accueil individualisé", "Facture de cantine contestée – mois de {mois}",
			"Garderie périscolaire : horaires du matin", "Sécurité à la sortie de {ecole}", "Demande de transport scolaire pour {enfant}",
		},
		bodies: []string{
			"Nous emménageons {rue} et souhaitons inscrire notre fille {enfant} en petite section à {ecole} à la rentrée prochaine.",
			"Notre fils {enfant} est allergique à l'arachide. Nous souhaitons mettre en place un projet d'accueil individualisé pour la cantine.",
			"La facture de cantine du mois de {mois} mentionne vingt repas alors que {enfant} était absent une semaine pour maladie.",
			"Les parents d'élèves de {ecole} s'inquiètent de la circulation à la sortie des classes et demandent la présence d'un agent à 16 h 30.",
			"Compte tenu de nos horaires de travail, serait-il possible d'ouvrir la garderie à 7 h 15 au lieu de 7 h 30 ?",
		},
		notes:   []string{"Vu avec la directrice d'école.", "Avoir de cantine à établir.", "Question inscrite au prochain conseil d'école."},
		closes:  []string{"Inscription confirmée aux parents.", "Facture rectifiée.", "Réponse envoyée aux parents d'élèves."},
		replies: []string{"Inscription scolaire de {enfant}", "Votre demande concernant la cantine"},
	},
	{
		name: "associations", weight: 8, entity: "ASSO", doctype: "SUBVENTION", orgs: 0.9, assoc: true,
		subjects: []string{
			"Demande de subvention de fonctionnement {annee}", "Demande de prêt de la salle des fêtes le {date}",
			"Demande de subvention exceptionnelle – {montant} €", "Assemblée générale de l'association – invitation",
			"Demande de mise à disposition de barrières et de tables", "Bilan financier et rapport d'activité {annee}",
			"Demande d'autorisation de buvette temporaire", "Forum des associations – inscription",
		},
		bodies: []string{
			"Notre association sollicite une subvention de fonctionnement de {montant} € pour l'année {annee}. Vous trouverez ci-joint notre budget prévisionnel.",
			"Nous organisons notre loto annuel le {date} et souhaiterions disposer de la salle des fêtes ainsi que de vingt tables.",
			"Nous avons le plaisir de vous inviter à notre assemblée générale, qui se tiendra le {date} à 18 h 30 à la salle polyvalente.",
			"À l'occasion de la fête du village, nous demandons l'autorisation d'ouvrir une buvette temporaire (licence de 2e catégorie).",
			"Le remplacement du matériel détérioré lors de l'inondation représente une dépense de {montant} € que nous ne pouvons assumer seuls.",
		},
		notes:   []string{"Dossier à présenter en commission vie associative.", "Salle disponible, convention à signer.", "Attestation d'assurance manquante."},
		closes:  []string{"Subvention votée en conseil municipal.", "Convention de mise à disposition signée.", "Arrêté d'autorisation de buvette transmis."},
		replies: []string{"Attribution de subvention {annee}", "Mise à disposition de la salle des fêtes le {date}"},
	},
	{
		name: "bruit", weight: 7, entity: "POLICE", doctype: "RECLAMATION", orgs: 0.02,
		subjects: []string{
			"Nuisances sonores {rue}", "Aboiements incessants d'un chien au {num} {rue}", "Bruit du bar-tabac de la place après minuit",
			"Travaux bruyants le dimanche – {rue}", "Tapage nocturne récurrent dans {quartier}", "Plainte pour bruit de climatiseur",
		},
		bodies: []string{
			"Depuis des mois, le chien de mes voisins du {num} {rue} aboie jour et nuit dès que ses maîtres s'absentent. Le dialogue n'a rien donné.",
			"Le bar de la place diffuse de la musique jusqu'à 2 h du matin le week-end. Nous ne pouvons plus dormir fenêtres ouvertes.",
			"Un voisin effectue des travaux de tronçonnage tous les dimanches matin, en contradiction avec l'arrêté préfectoral sur le bruit.",
			"Des rassemblements bruyants ont lieu chaque soir dans {quartier}, avec des rodéos de scooters jusqu'à une heure avancée.",
		},
		notes:   []string{"Rappel à la réglementation envoyé au voisin.", "Passage de la police municipale prévu vendredi soir.", "Médiation proposée par le conciliateur de justice."},
		closes:  []string{"Situation apaisée selon le plaignant.", "Procès-verbal dressé par la police municipale.", "Courrier de rappel à l'ordre adressé."},
		replies: []string{"Votre plainte pour nuisances sonores", "Rappel de la réglementation sur le bruit de voisinage"},
	},
	{
		name: "élagage", weight: 6, entity: "EV", doctype: "RECLAMATION", orgs: 0.05,
		subjects: []string{
			"Haie débordant sur le trottoir {rue}", "Demande d'élagage des platanes {rue}", "Arbre menaçant de tomber sur ma propriété",
			"Branches touchant les câbles téléphoniques {rue}", "Entretien du terrain en friche voisin – {parcelle}", "Demande d'abattage d'un arbre mort",
		},
		bodies: []string{
			"La haie de la propriété voisine déborde de plus d'un mètre sur le trottoir {rue}, obligeant les piétons à marcher sur la chaussée.",
			"Les platanes de la place n'ont pas été élagués depuis plusieurs années ; leurs branches frottent sur ma toiture à chaque coup de vent.",
			"Le terrain cadastré {parcelle} est laissé à l'abandon : herbes hautes, ronces, risque d'incendie l'été.",
			"Un chêne mort penche dangereusement au-dessus de notre jardin. Pouvez-vous faire constater le danger ?",
		},
		notes:   []string{"Mise en demeure d'élaguer envoyée au propriétaire.", "Élagage inscrit au programme d'hiver.", "Constat fait sur place par le responsable des espaces verts."},
		closes:  []string{"Élagage réalisé.", "Propriétaire a taillé sa haie.", "Arbre abattu par l'entreprise le {date}."},
		replies: []string{"Mise en demeure d'élaguer – {rue}", "Votre demande d'élagage"},
	},
	{
		name: "stationnement", weight: 6, entity: "POLICE", doctype: "COURRIER", orgs: 0.1,
		subjects: []string{
			"Véhicule ventouse {rue} depuis trois mois", "Stationnement gênant devant mon garage au {num} {rue}",
			"Demande de carte de stationnement résident", "Contestation d'un avis de stationnement", "Demande de place PMR devant le {num} {rue}",
			"Stationnement sur le trottoir près de {ecole}",
		},
		bodies: []string{
			"Un véhicule immatriculé hors du département est stationné {rue} depuis plus de trois mois sans bouger ; il semble abandonné.",
			"Des voitures stationnent régulièrement devant l'entrée de mon garage, au {num} {rue}, m'empêchant de sortir pour aller travailler.",
			"Titulaire de la carte mobilité inclusion, je sollicite la création d'une place réservée aux personnes handicapées devant mon domicile.",
			"Je conteste l'avis de paiement reçu le {date} : mon ticket était valide et bien visible derrière le pare-brise.",
		},
		notes:   []string{"Véhicule signalé pour mise en fourrière.", "Demande transmise à la commission accessibilité.", "Photographies du stationnement jointes par l'ASVP."},
		closes:  []string{"Véhicule enlevé.", "Place PMR matérialisée.", "Réponse envoyée au requérant."},
		replies: []string{"Votre demande de place de stationnement réservée", "Véhicule en stationnement abusif {rue}"},
	},
	{
		name: "marchés publics", weight: 3, entity: "FIN", doctype: "MARCHE", orgs: 1,
		subjects: []string{
			"Candidature – marché relatif à {marche}", "Offre pour {marche}", "Demande de précisions sur le DCE – {marche}",
			"Réclamation sur le rejet de notre offre – {marche}", "Facture de situation n° {num} – {marche}", "Demande d'avance forfaitaire – {marche}",
		},
		bodies: []string{
			"Nous avons l'honneur de vous adresser notre candidature et notre offre pour {marche}, conformément au règlement de consultation.",
			"L'article 4 du CCTP évoque des quantités qui ne correspondent pas au bordereau des prix unitaires. Pourriez-vous préciser ce point ?",
			"Nous prenons acte du rejet de notre offre et vous demandons, en application du code de la commande publique, les motifs détaillés de ce rejet.",
			"Veuillez trouver ci-joint notre facture de situation d'un montant de {montant} € HT pour {marche}.",
		},
		notes:   []string{"Offre enregistrée au registre des dépôts.", "Réponse aux candidats à publier sur le profil d'acheteur.", "Facture transmise au service de gestion comptable."},
		closes:  []string{"Marché attribué, candidats informés.", "Mandat émis.", "Réponse transmise au candidat."},
		replies: []string{"Notification d'attribution – {marche}", "Information des candidats non retenus – {marche}"},
	},
	{
		name: "CCAS", weight: 5, entity: "CCAS", doctype: "DEMANDE-SVR", orgs: 0.1,
		subjects: []string{
			"Demande d'aide sociale facultative", "Demande de logement social", "Inscription au repas des aînés", "Demande de colis alimentaire",
			"Demande de portage de repas à domicile", "Demande d'aide pour une facture d'énergie", "Inscription au registre canicule",
		},
		bodies: []string{
			"Suite à la perte de mon emploi, je rencontre des difficultés pour régler ma facture d'électricité de {montant} €. Je sollicite une aide exceptionnelle.",
			"Nous sommes une famille de cinq personnes logée dans un deux-pièces {rue} et sollicitons l'attribution d'un logement social plus grand.",
			"Âgée de 84 ans et vivant seule {rue}, je souhaite m'inscrire sur le registre des personnes vulnérables en cas de canicule.",
			"Ma mère ne peut plus cuisiner seule ; nous souhaitons bénéficier du portage de repas à domicile.",
		},
		notes:   []string{"Dossier à présenter au conseil d'administration du CCAS.", "Visite à domicile à programmer.", "Orientation vers l'assistante sociale du secteur."},
		closes:  []string{"Aide accordée par la commission.", "Inscription enregistrée.", "Demande orientée vers le bailleur social."},
		replies: []string{"Décision de la commission d'aide sociale", "Votre demande de logement social"},
	},
	{
		name: "déchets", weight: 5, entity: "ST", doctype: "RECLAMATION", orgs: 0.05,
		subjects: []string{
			"Dépôt sauvage {rue}", "Demande d'enlèvement d'encombrants", "Bac de collecte non vidé {rue}", "Demande de composteur individuel",
			"Containers débordants place du Marché",
		},
		bodies: []string{
			"Un dépôt sauvage (matelas, gravats, pneus) s'est formé au bout du {rue}. Il grossit de semaine en semaine.",
			"Mon bac jaune n'a pas été collecté depuis deux tournées alors qu'il était sorti la veille au soir.",
			"Je souhaiterais faire enlever un vieux canapé et une armoire ; je ne dispose pas de véhicule pour aller à la déchetterie.",
		},
		notes:   []string{"Enlèvement programmé par les services techniques.", "Signalé au syndicat de collecte.", "Plainte déposée pour dépôt sauvage."},
		closes:  []string{"Dépôt enlevé.", "Collecte rétablie.", "Composteur remis."},
		replies: []string{"Enlèvement des encombrants", "Dépôt sauvage {rue}"},
	},
	{
		name: "cimetière", weight: 3, entity: "EC", doctype: "COURRIER", orgs: 0.15,
		subjects: []string{
			"Renouvellement de concession au cimetière", "Demande d'achat de concession", "Entretien des allées du cimetière",
			"Demande d'autorisation de travaux sur une sépulture", "Reprise de concessions en état d'abandon",
		},
		bodies: []string{
			"La concession de ma famille arrive à échéance ; je souhaite la renouveler pour trente ans.",
			"Les allées du cimetière sont envahies d'herbes et l'accès à certaines tombes est difficile pour les personnes âgées.",
			"L'entreprise de pompes funèbres sollicite l'autorisation de procéder à une inhumation le {date}.",
		},
		notes:   []string{"Tarif de la concession communiqué.", "Entretien inscrit au planning des espaces verts."},
		closes:  []string{"Concession renouvelée.", "Autorisation de travaux délivrée."},
		replies: []string{"Renouvellement de votre concession"},
	},
	{
		name: "domaine public", weight: 4, entity: "POLICE", doctype: "DEMANDE-SVA", orgs: 0.5,
		subjects: []string{
			"Demande d'occupation du domaine public – terrasse", "Demande d'arrêté de circulation pour déménagement le {date}",
			"Demande d'autorisation d'échafaudage {rue}", "Vide-grenier de {quartier} – demande d'autorisation",
			"Demande d'emplacement au marché hebdomadaire",
		},
		bodies: []string{
			"Nous emménageons le {date} au {num} {rue} et sollicitons un arrêté réservant deux places de stationnement pour le camion.",
			"Notre restaurant souhaite installer une terrasse de six tables sur le trottoir pendant la saison estivale.",
			"Pour le ravalement de la façade, un échafaudage devra être installé sur le trottoir pendant trois semaines.",
			"Producteur local de fromages, je souhaiterais obtenir un emplacement fixe au marché du samedi matin.",
		},
		notes:   []string{"Arrêté de circulation à rédiger.", "Redevance d'occupation calculée.", "Avis favorable du placier."},
		closes:  []string{"Arrêté signé et transmis.", "Autorisation délivrée."},
		replies: []string{"Arrêté portant réglementation temporaire de la circulation {rue}", "Autorisation d'occupation du domaine public"},
	},
	{
		name: "administration", weight: 4, entity: "DGS", doctype: "INFO", orgs: 1,
		subjects: []string{
			"Circulaire relative à l'organisation des élections", "Notification de la dotation globale de fonctionnement {annee}",
			"Contrôle de légalité – observations sur la délibération du {date}", "Invitation – cérémonie du 11 Novembre",
			"Enquête publique – ouverture", "Arrêté préfectoral de restriction des usages de l'eau", "Recensement de la population {annee}",
		},
		bodies: []string{
			"J'ai l'honneur de vous informer du montant de la dotation globale de fonctionnement attribuée à votre commune pour {annee}.",
			"L'examen de la délibération du {date} appelle de ma part les observations suivantes au titre du contrôle de légalité.",
			"En raison de la sécheresse, un arrêté préfectoral restreint les usages de l'eau sur l'ensemble du département jusqu'au {date}.",
			"Je vous prie de bien vouloir trouver ci-joint les instructions relatives à l'organisation du scrutin.",
		},
		notes:   []string{"Pour information des élus.", "À inscrire à l'ordre du jour du prochain conseil municipal.", "Diffusé aux services."},
		closes:  []string{"Classé.", "Délibération rectificative adoptée."},
		replies: []string{"Transmission de la délibération du {date}"},
	},
	{
		name: "ressources humaines", weight: 2, entity: "DGS", doctype: "COURRIER", orgs: 0.1,
		subjects: []string{
			"Candidature spontanée – agent des espaces verts", "Candidature au poste de secrétaire de mairie", "Demande de stage d'observation de 3e",
			"Candidature – animateur périscolaire",
		},
		bodies: []string{
			"Titulaire d'un CAP travaux paysagers, je me permets de vous adresser ma candidature spontanée pour un poste d'agent des espaces verts.",
			"Élève de 3e au collège, je recherche un stage d'observation d'une semaine du {date} et serais heureux de découvrir le travail en mairie.",
			"Suite à l'annonce parue sur le site emploi-territorial.fr, je vous adresse ma candidature au poste de secrétaire de mairie.",
		},
		notes:   []string{"Candidature transmise au jury.", "CV conservé pour la saison prochaine."},
		closes:  []string{"Réponse négative adressée.", "Convention de stage signée."},
		replies: []string{"Votre candidature"},
	},
}

// greetings and closings frame a letter's paragraphs; e-mails are less formal.
var (
	paperGreetings = []string{"Monsieur le Maire,", "Madame la Maire,", "Madame, Monsieur,", "Monsieur le Maire, Mesdames et Messieurs les élus,"}
	mailGreetings  = []string{"Bonjour,", "Bonjour Madame, Monsieur,", "Madame, Monsieur,"}
	paperClosings  = []string{
		"Je vous prie d'agréer, Monsieur le Maire, l'expression de mes salutations distinguées.",
		"Dans l'attente de votre réponse, veuillez agréer, Madame, Monsieur, mes sincères salutations.",
		"Je vous remercie par avance de l'attention que vous porterez à ma demande et vous prie de croire à ma considération distinguée.",
	}
	mailClosings = []string{"Cordialement,", "Bien cordialement,", "Merci d'avance pour votre retour.\nCordialement,", "Bonne journée,"}

	redirectNotes = []string{
		"Ne relève pas de notre service : merci de traiter.", "Pour attribution.", "Réorienté après lecture : compétence de votre service.",
		"Merci de prendre en charge ce dossier.", "Erreur d'orientation initiale.",
	}
	// internalTheme is the business of notes between services.
	internalTheme = theme{name: "interne", subjects: []string{
		"Note interne – demande de travaux à la salle des fêtes", "Planning des congés d'été", "Demande d'achat de fournitures",
		"Compte rendu de la réunion de service du {date}", "Préparation du conseil municipal du {date}", "Demande d'intervention informatique",
		"Note au maire – point sur le budget {annee}", "Organisation de la fête nationale",
	}, bodies: []string{
		"Pour information et suite à donner.", "Merci de bien vouloir me faire part de vos disponibilités avant le {date}.",
		"Vous trouverez ci-joint les éléments demandés lors de la dernière réunion.", "Le devis s'élève à {montant} € TTC ; merci de valider la dépense.",
	}, notes: []string{"Vu.", "À voir en réunion de direction.", "Accord du DGS."},
		closes: []string{"Traité.", "Validé par le DGS.", "Classé."}}
)
