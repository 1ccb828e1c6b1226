package mail

// The French verification, reset and email-change mails, the counterparts of the English templates
// set by pb_migrations/1795344600_users_mail_templates.js. Same placeholders, same links.

func frButton(path, label string) string {
	link := "{APP_URL}/auth/" + path + "?token={TOKEN}"
	return `<p><a class="btn" href="` + link + `" target="_blank" rel="noopener">` + label + `</a></p>` +
		`<p>Ou collez cette adresse dans votre navigateur :<br><span style="word-break:break-all">` + link + `</span></p>`
}

type mailTemplate struct{ subject, body string }

var frVerification = mailTemplate{
	subject: "Confirmez votre adresse e-mail pour {APP_NAME}",
	body: "<p>Bonjour {RECORD:name},</p><p>Bienvenue sur {APP_NAME} ! Confirmez que cette adresse est bien la vôtre, et vous pourrez créer des studios et jouer avec qui vous voulez.</p>" +
		frButton("verify", "Confirmer mon adresse") +
		"<p>Vous ne vous êtes pas inscrit ? Ignorez ce message, il ne se passera rien.</p><p>— {APP_NAME}</p>",
}

var frPasswordReset = mailTemplate{
	subject: "Choisissez un nouveau mot de passe {APP_NAME}",
	body: "<p>Bonjour {RECORD:name},</p><p>Quelqu’un (vous, espérons-le) a demandé à réinitialiser votre mot de passe. Choisissez-en un nouveau ici :</p>" +
		frButton("reset", "Choisir un nouveau mot de passe") +
		"<p>Le lien ne sert qu’une fois, et pour peu de temps. Vous n’avez rien demandé ? Ignorez ce message : votre mot de passe ne change pas.</p><p>— {APP_NAME}</p>",
}

var frEmailChange = mailTemplate{
	subject: "Confirmez votre nouvelle adresse e-mail pour {APP_NAME}",
	body: "<p>Bonjour {RECORD:name},</p><p>Confirmez que {APP_NAME} doit désormais vous écrire à cette adresse :</p>" +
		frButton("email-change", "Confirmer ma nouvelle adresse") +
		"<p>Vous n’avez rien demandé ? Ignorez ce message : votre compte garde son adresse actuelle.</p><p>— {APP_NAME}</p>",
}
