package mail

import (
	"bytes"
	"encoding/json"
	"html"
	"html/template"
	"strings"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/mails/templates"
)

// BindLocalizedMails sends the verification, reset and email-change mails in French to users whose
// preferences.language is "fr" (the app's /settings saves it). PocketBase renders one template per
// collection, so the hook swaps subject and body after it has built the English message; the token
// is the one PocketBase minted (e.Meta), never anything the client sent. Any other value, or none,
// keeps the English mail.
func BindLocalizedMails(app core.App) {
	app.OnMailerRecordVerificationSend("users").BindFunc(func(e *core.MailerRecordEvent) error {
		return localize(e, frVerification)
	})
	app.OnMailerRecordPasswordResetSend("users").BindFunc(func(e *core.MailerRecordEvent) error {
		return localize(e, frPasswordReset)
	})
	app.OnMailerRecordEmailChangeSend("users").BindFunc(func(e *core.MailerRecordEvent) error {
		return localize(e, frEmailChange)
	})
}

// RecordLanguage is the record's preferences.language when it is one the mails know ("en" or "fr"),
// else "en". preferences is free JSON the user writes, so nothing else in it is trusted.
func RecordLanguage(record *core.Record) string {
	var prefs struct {
		Language any `json:"language"`
	}
	raw, err := json.Marshal(record.Get("preferences"))
	if err != nil || json.Unmarshal(raw, &prefs) != nil {
		return "en"
	}
	if prefs.Language == "fr" {
		return "fr"
	}
	return "en"
}

func localize(e *core.MailerRecordEvent, french mailTemplate) error {
	if e.Record == nil || RecordLanguage(e.Record) != "fr" {
		return e.Next()
	}
	token, _ := e.Meta["token"].(string)
	meta := e.App.Settings().Meta
	// The same placeholders PocketBase fills for the English template, escaped the same way.
	replacer := strings.NewReplacer(
		"{APP_NAME}", meta.AppName,
		"{APP_URL}", meta.AppURL,
		"{TOKEN}", token,
		"{RECORD:name}", html.EscapeString(e.Record.GetString("name")),
	)
	body, err := inLayout(replacer.Replace(french.body))
	if err != nil {
		return err
	}
	e.Message.Subject = replacer.Replace(french.subject)
	e.Message.HTML = body
	return e.Next()
}

// inLayout wraps a body in PocketBase's own mail layout, as its mails package does.
func inLayout(content string) (string, error) {
	t := template.New("mail")
	for _, part := range []string{templates.Layout, templates.HTMLBody} {
		var err error
		if t, err = t.Parse(part); err != nil {
			return "", err
		}
	}
	var out bytes.Buffer
	err := t.Execute(&out, struct{ HTMLContent template.HTML }{template.HTML(content)}) // #nosec G203 -- our template, escaped name
	return out.String(), err
}
