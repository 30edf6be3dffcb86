package web

import (
	"fmt"
	"net/http"
	"time"
)

// The message catalogue: French first, English second. A key missing from
// a language shows the key itself; a test checks that every key a template
// or handler uses exists in both. Messages from the Service (field errors)
// are French in both languages.

var languages = []string{"fr", "en"}

func lang(r *http.Request) string {
	if c, err := r.Cookie(langCookie); err == nil && catalogue[c.Value] != nil {
		return c.Value
	}
	return "fr"
}

func tr(lang, key string) string {
	if v, ok := catalogue[lang][key]; ok {
		return v
	}
	return key
}

func tf(lang, key string, args ...any) string { return fmt.Sprintf(tr(lang, key), args...) }

// setLang remembers the chosen language for a year and goes back.
func (s *Server) setLang(w http.ResponseWriter, r *http.Request) {
	l := r.PathValue("lang")
	if catalogue[l] == nil {
		s.notFound(w, r)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: "/", MaxAge: int(365 * 24 * time.Hour / time.Second), HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, localPath(r.URL.Query().Get("next")), http.StatusSeeOther)
}

var catalogue = map[string]map[string]string{
	"fr": {
		"nav.skip": "Aller au contenu", "nav.tools": "Outils", "nav.register": "Enregistrer un courrier", "nav.search": "Rechercher",
		"nav.admin": "Administration", "nav.password": "Mot de passe", "nav.logout": "Se déconnecter", "nav.baskets": "Bannettes",
		"nav.home": "Accueil", "nav.letters": "courriers",

		"login.title": "Connexion", "login.login": "Identifiant", "login.password": "Mot de passe", "login.submit": "Se connecter",
		"login.failed": "Identifiant ou mot de passe incorrect.", "login.wait": "Trop de tentatives : réessayez dans %s.",
		"login.csrf": "Le formulaire a expiré : saisissez à nouveau vos identifiants.", "login.expired": "Votre session a expiré : reconnectez-vous pour reprendre où vous en étiez.",
		"logout.done": "Vous êtes déconnecté. Vos autres sessions ouvertes sont fermées aussi.",

		"password.title": "Changer mon mot de passe", "password.hint": "10 caractères au moins.", "password.submit": "Changer le mot de passe",
		"password.done": "Mot de passe changé. Vos autres sessions et tous vos jetons d'API ont été fermés.",

		"home.title": "Accueil", "home.baskets": "Mes bannettes", "home.late": "Courriers en retard", "home.alllate": "Tous les courriers en retard",

		"basket.qualify": "À qualifier", "basket.mine": "Mes courriers à traiter", "basket.service": "Courriers de mon service",
		"basket.copy": "En copie", "basket.late": "En retard", "basket.followed": "Suivis", "basket.closed": "Clos",
		"basket.actions": "Action sur la sélection", "basket.action": "Action", "basket.apply": "Appliquer à la sélection",
		"basket.none": "sélectionnez au moins un courrier", "basket.toomany": "200 courriers au plus à la fois",
		"basket.done": "%d courrier(s) traité(s).", "basket.failed": "Refusés :",

		"action.take": "M'attribuer", "action.redirect": "Rediriger", "action.close": "Clore", "action.reopen": "Rouvrir",
		"action.follow": "Suivre", "action.unfollow": "Ne plus suivre",

		"scope.all": "Tous les courriers visibles", "scope.mine": "Attribués à l'utilisateur", "scope.service": "De ses entités",
		"scope.copy": "En copie", "scope.followed": "Suivis par l'utilisateur",

		"col.number": "Numéro", "col.subject": "Objet", "col.sender": "Expéditeur", "col.entity": "Entité", "col.arrival": "Arrivée",
		"col.due": "Date limite", "col.priority": "Priorité",

		"list.total": "%s au total", "list.empty": "Aucun courrier.", "list.selectall": "Tout sélectionner",
		"list.select": "Sélectionner le courrier %s", "list.pages": "Pages", "list.prev": "Page précédente", "list.next": "Page suivante",
		"list.page": "Page %d sur %d",

		"due.late": "en retard de %d j", "due.left": "dans %d j", "due.today": "aujourd'hui",

		"status.new": "À qualifier", "status.in_progress": "En cours", "status.closed": "Clos",
		"priority.low": "Basse", "priority.normal": "Normale", "priority.high": "Haute", "priority.urgent": "Urgente",
		"category.incoming": "Arrivée", "category.outgoing": "Départ", "category.internal": "Interne",
		"channel.paper": "Papier", "channel.email": "Courriel", "channel.web": "Formulaire web",
		"mode.normal": "Normal", "mode.sva": "Silence vaut acceptation", "mode.svr": "Silence vaut rejet",
		"role.admin": "Administrateur", "role.mailroom": "Service courrier", "role.agent": "Agent", "role.elected": "Élu",
		"role.main": "Document principal", "role.attachment": "Pièce jointe", "role.draft": "Projet de réponse",

		"form.error": "Erreur :", "form.errors": "Le formulaire contient des erreurs", "form.none": "— Aucun —",
		"form.any": "— Tous —", "form.unchanged": "— Inchangée —", "form.required": "(obligatoire)", "form.save": "Enregistrer",

		"field.file": "Document numérisé", "field.category": "Sens", "field.priority": "Priorité", "field.subject": "Objet",
		"field.body": "Texte du courrier", "field.letter_date": "Date du courrier", "field.arrival_date": "Date d'arrivée",
		"field.confidential": "Confidentiel (visible du seul destinataire, des copies nominatives et des administrateurs)",
		"field.doctype_id":   "Type de courrier", "field.entity_id": "Entité traitante", "field.assignee_id": "Destinataire",
		"field.copies": "En copie", "field.note": "Commentaire", "field.channel": "Canal", "field.status": "Statut",
		"field.sender_name": "Nom de l'expéditeur", "field.sender_organization": "Organisme", "field.sender_email": "Adresse électronique",
		"field.sender_address": "Adresse postale", "field.sender_postcode": "Code postal", "field.sender_city": "Commune",
		"field.sender_id": "Expéditeur", "field.current": "Mot de passe actuel", "field.password": "Nouveau mot de passe",
		"field.confirm": "Confirmer le nouveau mot de passe", "field.login": "Identifiant", "field.name": "Nom",
		"field.email": "Adresse électronique", "field.role": "Rôle", "field.code": "Code", "field.label": "Libellé",
		"field.parent_id": "Entité parente", "field.delay_days": "Délai de traitement",
		"field.remind_before": "Relance avant échéance (j)", "field.remind_after": "Relance après échéance (j)", "field.mode": "Régime du silence",
		"field.text": "Note", "field.entities": "Entités", "field.number": "Numéro", "field.form_key": "Formulaire",
		"field.id": "Sélection", "field.q": "Recherche", "field.from": "Arrivé à partir du", "field.to": "Arrivé jusqu'au",
		"field.scope": "Périmètre", "field.statuses": "Statuts", "field.actions": "Actions", "field.baskets": "Bannettes",
		"field.other_id": "Courrier lié",

		"register.title": "Enregistrer un courrier", "register.lead": "Numérisez le courrier, joignez le fichier, complétez sa fiche : le numéro chrono est attribué à l'enregistrement.",
		"register.document": "Document", "register.filehint": "PDF ou image (PNG, JPEG, TIFF), 50 Mo au plus.",
		"register.letter": "Courrier", "register.bodyhint": "Résumé ou texte du courrier : il est retrouvé par la recherche.",
		"register.routing": "Attribution", "register.copieshint": "Ctrl (ou Cmd) + clic, ou Maj + flèches, pour en choisir plusieurs.",
		"register.due": "Date limite de traitement : %s", "register.submit": "Enregistrer le courrier",
		"register.done": "Courrier enregistré sous le numéro %s.", "register.dup": "Ce formulaire a déjà été enregistré : courrier %s.",
		"register.refile": "choisissez à nouveau le fichier : il n'a pas été conservé après l'erreur",

		"sender.legend": "Expéditeur", "sender.hint": "Tapez deux lettres pour retrouver un contact ; sinon, le contact est créé à l'enregistrement.",
		"sender.suggestions": "Contacts correspondants", "sender.picked": "Contact du carnet : %s",
		"sender.new": "Nouveau contact : complétez si vous le connaissez.", "sender.create": "Créer ce contact maintenant",

		"letter.confidential": "Confidentiel", "letter.follow": "Suivre", "letter.unfollow": "Suivi", "letter.actions": "Actions",
		"letter.edit": "Modifier la fiche", "letter.save": "Enregistrer les modifications", "letter.closenote": "Réponse apportée ou motif de clôture",
		"letter.closesubmit": "Clore le courrier", "letter.document": "Document", "letter.viewer": "Document : %s", "letter.scan": "Document numérisé : %s",
		"letter.download": "Télécharger %s", "letter.nodoc": "Aucun document numérisé.", "letter.meta": "Fiche",
		"letter.registered": "Enregistré le", "letter.closedat": "Clos le", "letter.documents": "Pièces et versions",
		"letter.version": "version %d", "letter.newversion": "Nouvelle version de %s", "letter.upload": "Déposer",
		"letter.nodocs": "Aucune pièce.", "letter.attach": "Joindre un document", "letter.notes": "Annotations",
		"letter.restricted": "Restreinte à", "letter.nonotes": "Aucune annotation.", "letter.addnote": "Nouvelle annotation",
		"letter.restrict": "Restreindre aux entités", "letter.restricthint": "Sans choix, l'annotation est visible de tous ceux qui voient le courrier.",
		"letter.notesubmit": "Annoter", "letter.links": "Courriers liés", "letter.nolinks": "Aucun courrier lié.",
		"letter.linkto": "Lier au courrier n°", "letter.link": "Lier", "letter.history": "Historique",
		"letter.fullhistory": "Historique complet (%d événements)",
		"letter.qualified":   "Fiche enregistrée.", "letter.redirected": "Courrier redirigé.", "letter.closed": "Courrier clos.",
		"letter.reopened": "Courrier rouvert.", "letter.noted": "Annotation ajoutée.", "letter.attached": "Document déposé.",
		"letter.linked": "Courriers liés.", "letter.followed": "Courrier ajouté à vos suivis.", "letter.unfollowed": "Courrier retiré de vos suivis.",

		"search.title": "Rechercher", "search.q": "Mots, numéro ou expéditeur", "search.submit": "Rechercher",
		"search.tips": "Astuces :", "search.tip.prefix": "trouve urbanisme, urbaniste…", "search.tip.phrase": "cherche l'expression exacte",
		"search.tip.accents": ": les accents sont facultatifs", "search.tip.number": "retrouve un courrier par son numéro",
		"search.filters": "Filtres", "search.overdue": "En retard seulement", "search.from": "Arrivé à partir du", "search.to": "Arrivé jusqu'au",
		"search.savedtitle": "Mes recherches", "search.nosaved": "Aucune recherche enregistrée.", "search.savename": "Nom de la recherche",
		"search.save": "Enregistrer cette recherche", "search.saved": "Recherche « %s » enregistrée.", "search.deleted": "Recherche supprimée.",
		"search.delete": "Supprimer la recherche %s", "search.deleteshort": "Supprimer",
		"search.resultstitle": "Résultats",

		"copies.users": "Personnes", "copies.entities": "Entités",

		"chart.title": "Courriers reçus par semaine", "chart.week": "Semaine %d (du %s)", "chart.bar": "Semaine %d : %d courrier(s)",
		"chart.summary": "%d dernières semaines, %d courriers reçus.", "chart.caption": "%d courriers reçus sur 12 semaines",
		"chart.table": "Voir les chiffres", "chart.weekcol": "Semaine", "chart.countcol": "Courriers reçus",

		"admin.users": "Utilisateurs", "admin.entities": "Organigramme", "admin.doctypes": "Types de courrier", "admin.baskets": "Bannettes",
		"admin.memberships": "Entités", "admin.membershipshint": "Un responsable voit aussi les courriers des sous-entités.",
		"admin.member": "Membre", "admin.manager": "Responsable", "admin.memberof": "Membre de %s", "admin.managerof": "Responsable de %s",
		"admin.disabled": "Désactivé", "admin.active": "Actif", "admin.newuser": "Nouvel utilisateur", "admin.createuser": "Créer l'utilisateur",
		"admin.usercreated": "Utilisateur « %s » créé.", "admin.userupdated": "Utilisateur « %s » modifié.", "admin.disable": "Compte désactivé",
		"admin.resetpw": "Nouveau mot de passe", "admin.setpw": "Définir le mot de passe", "admin.pwset": "Mot de passe défini ; les sessions et jetons d'API de l'utilisateur sont fermés.",
		"admin.sessions": "Sessions", "admin.sessionshint": "Ferme toutes les sessions ouvertes de cet utilisateur, sur tous les postes.",
		"admin.revoke": "Fermer ses sessions", "admin.revoked": "Sessions fermées.",
		"admin.newentity": "Nouvelle entité", "admin.noparent": "— Aucune (racine) —", "admin.createentity": "Créer l'entité",
		"admin.entitycreated": "Entité « %s » créée.", "admin.newdoctype": "Nouveau type de courrier", "admin.createdoctype": "Créer le type",
		"admin.doctypecreated": "Type « %s » créé.",
		"admin.basketslead":    "Une bannette est un filtre (périmètre, statuts, retard) et les actions proposées sur une sélection. Cochez « Afficher » pour la garder ; l'ordre suit les numéros.",
		"admin.newbasket":      "Nouvelle bannette", "admin.basketshow": "Afficher", "admin.position": "Ordre", "admin.basketid": "Identifiant",
		"admin.scope": "Périmètre", "admin.lateonly": "En retard seulement", "admin.actions": "Actions proposées",
		"admin.basketsreset": "Rétablir les bannettes par défaut", "admin.basketsset": "Bannettes enregistrées.",
		"admin.basketsnone": "gardez au moins une bannette, ou rétablissez celles par défaut",

		"error.400": "Requête invalide", "error.403": "Accès refusé", "error.404": "Page introuvable", "error.409": "Conflit",
		"error.413": "Fichier trop volumineux", "error.422": "Données invalides", "error.500": "Erreur interne", "error.503": "Service indisponible",
		"error.notfound": "Cette page n'existe pas, ou vous n'avez pas le droit de la voir.", "error.home": "Retour à l'accueil",
		"error.202":                 "Demande acceptée, en attente",
		"error.unavailable":         "Service momentanément indisponible : la base de données ne répond pas. Rien n'a été enregistré ; réessayez dans quelques instants.",
		"error.unavailable.cluster": "Service momentanément indisponible :",
		"cluster.stale":             "Ce site ne joint pas la majorité des nœuds du cluster (pas de quorum) : les données affichées peuvent ne pas être à jour, et les modifications sont refusées jusqu'au retour des autres sites (ou ce nœud a été retiré du cluster).",
		"error.pending":             "Votre demande est bien reçue et inscrite au journal, mais la base de données ne répond pas : elle sera appliquée dès son retour, dans quelques instants. Ne la renvoyez pas.",
	},
	"en": {
		"nav.skip": "Skip to content", "nav.tools": "Tools", "nav.register": "Register a letter", "nav.search": "Search",
		"nav.admin": "Administration", "nav.password": "Password", "nav.logout": "Log out", "nav.baskets": "Baskets",
		"nav.home": "Home", "nav.letters": "letters",

		"login.title": "Log in", "login.login": "Login", "login.password": "Password", "login.submit": "Log in",
		"login.failed": "Wrong login or password.", "login.wait": "Too many attempts: try again in %s.",
		"login.csrf": "The form expired: please type your login again.", "login.expired": "Your session expired: log in again to carry on where you were.",
		"logout.done": "You are logged out. Your other open sessions are closed too.",

		"password.title": "Change my password", "password.hint": "At least 10 characters.", "password.submit": "Change password",
		"password.done": "Password changed. Your other sessions and all your API tokens were closed.",

		"home.title": "Home", "home.baskets": "My baskets", "home.late": "Late letters", "home.alllate": "All late letters",

		"basket.qualify": "To qualify", "basket.mine": "My letters to process", "basket.service": "My service's letters",
		"basket.copy": "Copied to me", "basket.late": "Late", "basket.followed": "Followed", "basket.closed": "Closed",
		"basket.actions": "Action on the selection", "basket.action": "Action", "basket.apply": "Apply to the selection",
		"basket.none": "select at least one letter", "basket.toomany": "200 letters at most at once",
		"basket.done": "%d letter(s) processed.", "basket.failed": "Refused:",

		"action.take": "Assign to me", "action.redirect": "Redirect", "action.close": "Close", "action.reopen": "Reopen",
		"action.follow": "Follow", "action.unfollow": "Unfollow",

		"scope.all": "Every letter they see", "scope.mine": "Assigned to the user", "scope.service": "Of their entities",
		"scope.copy": "Copied", "scope.followed": "Followed by the user",

		"col.number": "Number", "col.subject": "Subject", "col.sender": "Sender", "col.entity": "Entity", "col.arrival": "Arrival",
		"col.due": "Due date", "col.priority": "Priority",

		"list.total": "%s in all", "list.empty": "No letters.", "list.selectall": "Select all",
		"list.select": "Select letter %s", "list.pages": "Pages", "list.prev": "Previous page", "list.next": "Next page",
		"list.page": "Page %d of %d",

		"due.late": "%d d late", "due.left": "in %d d", "due.today": "today",

		"status.new": "To qualify", "status.in_progress": "In progress", "status.closed": "Closed",
		"priority.low": "Low", "priority.normal": "Normal", "priority.high": "High", "priority.urgent": "Urgent",
		"category.incoming": "Incoming", "category.outgoing": "Outgoing", "category.internal": "Internal",
		"channel.paper": "Paper", "channel.email": "E-mail", "channel.web": "Web form",
		"mode.normal": "Normal", "mode.sva": "Silence means acceptance", "mode.svr": "Silence means refusal",
		"role.admin": "Administrator", "role.mailroom": "Mail room", "role.agent": "Agent", "role.elected": "Elected member",
		"role.main": "Main document", "role.attachment": "Attachment", "role.draft": "Reply draft",

		"form.error": "Error:", "form.errors": "The form has errors", "form.none": "— None —",
		"form.any": "— Any —", "form.unchanged": "— Unchanged —", "form.required": "(required)", "form.save": "Save",

		"field.file": "Scanned document", "field.category": "Direction", "field.priority": "Priority", "field.subject": "Subject",
		"field.body": "Text of the letter", "field.letter_date": "Letter date", "field.arrival_date": "Arrival date",
		"field.confidential": "Confidential (seen only by the assignee, named copies and administrators)",
		"field.doctype_id":   "Letter type", "field.entity_id": "Entity in charge", "field.assignee_id": "Assignee",
		"field.copies": "Copied to", "field.note": "Comment", "field.channel": "Channel", "field.status": "Status",
		"field.sender_name": "Sender's name", "field.sender_organization": "Organisation", "field.sender_email": "E-mail address",
		"field.sender_address": "Postal address", "field.sender_postcode": "Postcode", "field.sender_city": "Town",
		"field.sender_id": "Sender", "field.current": "Current password", "field.password": "New password",
		"field.confirm": "Confirm the new password", "field.login": "Login", "field.name": "Name",
		"field.email": "E-mail address", "field.role": "Role", "field.code": "Code", "field.label": "Label",
		"field.parent_id": "Parent entity", "field.delay_days": "Processing delay",
		"field.remind_before": "Reminder before due date (d)", "field.remind_after": "Reminder after due date (d)", "field.mode": "Meaning of silence",
		"field.text": "Note", "field.entities": "Entities", "field.number": "Number", "field.form_key": "Form",
		"field.id": "Selection", "field.q": "Search", "field.from": "Arrived from", "field.to": "Arrived until",
		"field.scope": "Scope", "field.statuses": "Statuses", "field.actions": "Actions", "field.baskets": "Baskets",
		"field.other_id": "Linked letter",

		"register.title": "Register a letter", "register.lead": "Scan the letter, attach the file, fill in its record: the registration number is given on saving.",
		"register.document": "Document", "register.filehint": "PDF or image (PNG, JPEG, TIFF), 50 MB at most.",
		"register.letter": "Letter", "register.bodyhint": "Summary or text of the letter: search finds it.",
		"register.routing": "Routing", "register.copieshint": "Ctrl (or Cmd) + click, or Shift + arrows, to choose several.",
		"register.due": "Due date: %s", "register.submit": "Register the letter",
		"register.done": "Letter registered under number %s.", "register.dup": "This form was already registered: letter %s.",
		"register.refile": "choose the file again: it was not kept after the error",

		"sender.legend": "Sender", "sender.hint": "Type two letters to find a contact; otherwise the contact is created on saving.",
		"sender.suggestions": "Matching contacts", "sender.picked": "Contact from the address book: %s",
		"sender.new": "New contact: fill in what you know.", "sender.create": "Create this contact now",

		"letter.confidential": "Confidential", "letter.follow": "Follow", "letter.unfollow": "Followed", "letter.actions": "Actions",
		"letter.edit": "Edit the record", "letter.save": "Save changes", "letter.closenote": "Answer given or reason for closing",
		"letter.closesubmit": "Close the letter", "letter.document": "Document", "letter.viewer": "Document: %s", "letter.scan": "Scanned document: %s",
		"letter.download": "Download %s", "letter.nodoc": "No scanned document.", "letter.meta": "Record",
		"letter.registered": "Registered on", "letter.closedat": "Closed on", "letter.documents": "Documents and versions",
		"letter.version": "version %d", "letter.newversion": "New version of %s", "letter.upload": "Upload",
		"letter.nodocs": "No documents.", "letter.attach": "Attach a document", "letter.notes": "Notes",
		"letter.restricted": "Restricted to", "letter.nonotes": "No notes.", "letter.addnote": "New note",
		"letter.restrict": "Restrict to entities", "letter.restricthint": "With no choice, everyone who sees the letter sees the note.",
		"letter.notesubmit": "Add note", "letter.links": "Linked letters", "letter.nolinks": "No linked letters.",
		"letter.linkto": "Link to letter number", "letter.link": "Link", "letter.history": "History",
		"letter.fullhistory": "Full history (%d events)",
		"letter.qualified":   "Record saved.", "letter.redirected": "Letter redirected.", "letter.closed": "Letter closed.",
		"letter.reopened": "Letter reopened.", "letter.noted": "Note added.", "letter.attached": "Document uploaded.",
		"letter.linked": "Letters linked.", "letter.followed": "Letter added to what you follow.", "letter.unfollowed": "Letter no longer followed.",

		"search.title": "Search", "search.q": "Words, number or sender", "search.submit": "Search",
		"search.tips": "Tips:", "search.tip.prefix": "finds urbanisme, urbaniste…", "search.tip.phrase": "looks for the exact phrase",
		"search.tip.accents": ": accents are optional", "search.tip.number": "finds a letter by its number",
		"search.filters": "Filters", "search.overdue": "Late only", "search.from": "Arrived from", "search.to": "Arrived until",
		"search.savedtitle": "My searches", "search.nosaved": "No saved searches.", "search.savename": "Name of the search",
		"search.save": "Save this search", "search.saved": "Search \"%s\" saved.", "search.deleted": "Search deleted.",
		"search.delete": "Delete search %s", "search.deleteshort": "Delete",
		"search.resultstitle": "Results",

		"copies.users": "People", "copies.entities": "Entities",

		"chart.title": "Letters received per week", "chart.week": "Week %d (from %s)", "chart.bar": "Week %d: %d letter(s)",
		"chart.summary": "Last %d weeks, %d letters received.", "chart.caption": "%d letters received over 12 weeks",
		"chart.table": "Show the figures", "chart.weekcol": "Week", "chart.countcol": "Letters received",

		"admin.users": "Users", "admin.entities": "Organisation chart", "admin.doctypes": "Letter types", "admin.baskets": "Baskets",
		"admin.memberships": "Entities", "admin.membershipshint": "A manager also sees the letters of sub-entities.",
		"admin.member": "Member", "admin.manager": "Manager", "admin.memberof": "Member of %s", "admin.managerof": "Manager of %s",
		"admin.disabled": "Disabled", "admin.active": "Active", "admin.newuser": "New user", "admin.createuser": "Create the user",
		"admin.usercreated": "User \"%s\" created.", "admin.userupdated": "User \"%s\" updated.", "admin.disable": "Account disabled",
		"admin.resetpw": "New password", "admin.setpw": "Set the password", "admin.pwset": "Password set; the user's sessions and API tokens are closed.",
		"admin.sessions": "Sessions", "admin.sessionshint": "Closes every open session of this user, on every computer.",
		"admin.revoke": "Close their sessions", "admin.revoked": "Sessions closed.",
		"admin.newentity": "New entity", "admin.noparent": "— None (root) —", "admin.createentity": "Create the entity",
		"admin.entitycreated": "Entity \"%s\" created.", "admin.newdoctype": "New letter type", "admin.createdoctype": "Create the type",
		"admin.doctypecreated": "Type \"%s\" created.",
		"admin.basketslead":    "A basket is a filter (scope, statuses, lateness) plus the actions offered on a selection. Tick \"Show\" to keep it; the order follows the numbers.",
		"admin.newbasket":      "New basket", "admin.basketshow": "Show", "admin.position": "Order", "admin.basketid": "Identifier",
		"admin.scope": "Scope", "admin.lateonly": "Late only", "admin.actions": "Actions offered",
		"admin.basketsreset": "Restore the default baskets", "admin.basketsset": "Baskets saved.",
		"admin.basketsnone": "keep at least one basket, or restore the default ones",

		"error.400": "Bad request", "error.403": "Access denied", "error.404": "Page not found", "error.409": "Conflict",
		"error.413": "File too large", "error.422": "Invalid data", "error.500": "Internal error", "error.503": "Service unavailable",
		"error.notfound": "This page does not exist, or you may not see it.", "error.home": "Back to the home page",
		"error.202":                 "Request accepted, pending",
		"error.unavailable":         "Service temporarily unavailable: the database does not answer. Nothing was saved; try again in a moment.",
		"error.unavailable.cluster": "Service temporarily unavailable:",
		"cluster.stale":             "This site cannot reach a majority of the cluster's nodes (no quorum): the data shown may be out of date, and changes are refused until the other sites are back (or this node was removed from the cluster).",
		"error.pending":             "Your request is received and logged, but the database does not answer: it will be applied as soon as it is back, in a moment. Do not send it again.",
	},
}
