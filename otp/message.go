package otp

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"text/template"
)

// Purpose says what a challenge confirms. The constants are the purposes the
// module uses; a host may define its own (any non-empty string).
type Purpose string

// The purposes of the module.
const (
	PurposePhoneConfirmation Purpose = "phone_confirmation"
	PurposeEmailConfirmation Purpose = "email_confirmation"
	PurposeLogin             Purpose = "login"
	PurposePasswordReset     Purpose = "password_reset"
	PurposePasswordChange    Purpose = "password_change"
)

// Channel is how a code travels.
type Channel string

// The channels. A Manager sends codes on ChannelSMS and ChannelEmail;
// ChannelTOTP challenges are login challenges answered with an
// authenticator app, ChannelPasskey challenges WebAuthn ceremonies answered
// with a passkey, both through Manager.CheckFactor (no code is sent).
const (
	ChannelSMS     Channel = "sms"
	ChannelEmail   Channel = "email"
	ChannelTOTP    Channel = "totp"
	ChannelPasskey Channel = "passkey"
)

// IsFactor reports whether the channel is answered with an external factor
// (CheckFactor) rather than a code that is sent.
func (c Channel) IsFactor() bool { return c == ChannelTOTP || c == ChannelPasskey }

// Message is one rendered code message handed to a sender. It holds the
// clear code: senders must not log it.
type Message struct {
	Purpose Purpose
	Channel Channel
	// Locale is the locale of the challenge ("fr", "fr-CA", ""), the one it
	// was issued in; the body may be in a fallback language.
	Locale string
	// To is the destination: an E.164 phone number or an email address.
	To string
	// Code is the clear one-time code.
	Code string
	// Subject is the email subject (empty for SMS).
	Subject string
	// Body is the rendered text.
	Body string
}

// SMSSender delivers text messages. Send returns an error when the message
// was not accepted by the provider.
type SMSSender interface {
	Send(ctx context.Context, msg Message) error
}

// EmailSender delivers email messages (plain text, with Subject).
type EmailSender interface {
	Send(ctx context.Context, msg Message) error
}

// SenderFunc adapts a function to SMSSender and EmailSender.
type SenderFunc func(ctx context.Context, msg Message) error

// Send calls f.
func (f SenderFunc) Send(ctx context.Context, msg Message) error { return f(ctx, msg) }

// TemplateData is what templates are executed with.
type TemplateData struct {
	// Code is the clear code.
	Code string
	// Purpose of the challenge.
	Purpose Purpose
	// Minutes the code stays valid (rounded up).
	Minutes int
	// Locale requested.
	Locale string
}

type templateKey struct {
	purpose Purpose
	locale  string
}

type templatePair struct {
	subject *template.Template
	body    *template.Template
}

// Templates holds message templates (text/template) per purpose and locale.
// Lookups fall back from the exact locale ("fr-CA") to its language ("fr"),
// then to the purpose-independent template of that locale (purpose ""), and
// finally to English. A Templates is safe for concurrent use.
type Templates struct {
	mu sync.RWMutex
	m  map[templateKey]templatePair
}

// builtinTemplates are the English and French texts: purpose → locale →
// {subject, body}. Purpose "" is the generic fallback.
var builtinTemplates = map[Purpose]map[string][2]string{
	"": {
		"en": {"Your verification code", "Your verification code is {{.Code}}. It expires in {{.Minutes}} minutes. Never share it."},
		"fr": {"Votre code de vérification", "Votre code de vérification est {{.Code}}. Il expire dans {{.Minutes}} minutes. Ne le communiquez à personne."},
	},
	PurposePhoneConfirmation: {
		"en": {"Confirm your phone number", "Your code to confirm your phone number is {{.Code}}. It expires in {{.Minutes}} minutes. Never share it."},
		"fr": {"Confirmez votre numéro de téléphone", "Votre code de confirmation de numéro de téléphone est {{.Code}}. Il expire dans {{.Minutes}} minutes. Ne le communiquez à personne."},
	},
	PurposeEmailConfirmation: {
		"en": {"Confirm your email address", "Your code to confirm your email address is {{.Code}}. It expires in {{.Minutes}} minutes.\n\nIf you did not request it, ignore this message."},
		"fr": {"Confirmez votre adresse e-mail", "Votre code de confirmation d'adresse e-mail est {{.Code}}. Il expire dans {{.Minutes}} minutes.\n\nSi vous ne l'avez pas demandé, ignorez ce message."},
	},
	PurposeLogin: {
		"en": {"Your login code", "Your login code is {{.Code}}. It expires in {{.Minutes}} minutes. Never share it."},
		"fr": {"Votre code de connexion", "Votre code de connexion est {{.Code}}. Il expire dans {{.Minutes}} minutes. Ne le communiquez à personne."},
	},
	PurposePasswordReset: {
		"en": {"Reset your password", "Your password reset code is {{.Code}}. It expires in {{.Minutes}} minutes. If you did not ask to reset your password, ignore this message."},
		"fr": {"Réinitialisez votre mot de passe", "Votre code de réinitialisation du mot de passe est {{.Code}}. Il expire dans {{.Minutes}} minutes. Si vous n'avez rien demandé, ignorez ce message."},
	},
	PurposePasswordChange: {
		"en": {"Confirm your password change", "Your code to confirm the change of your password is {{.Code}}. It expires in {{.Minutes}} minutes. Never share it."},
		"fr": {"Confirmez le changement de mot de passe", "Votre code de confirmation du changement de mot de passe est {{.Code}}. Il expire dans {{.Minutes}} minutes. Ne le communiquez à personne."},
	},
}

// NewTemplates returns the built-in templates: English and French for every
// purpose of the module, plus a generic text for other purposes.
func NewTemplates() *Templates {
	t := &Templates{m: make(map[templateKey]templatePair)}
	for purpose, locales := range builtinTemplates {
		for locale, st := range locales {
			if err := t.Add(purpose, locale, st[0], st[1]); err != nil {
				panic(err) // the built-in texts are constants
			}
		}
	}
	return t
}

// Add registers (or replaces) the templates of a purpose and locale.
// purpose "" sets the fallback used by purposes without their own template.
// subjectTmpl may be empty (SMS bodies need none). Templates are parsed with
// text/template and executed with a TemplateData; a parse error is returned.
func (t *Templates) Add(purpose Purpose, locale, subjectTmpl, bodyTmpl string) error {
	name := string(purpose) + "/" + locale
	subject, err := template.New(name + "/subject").Option("missingkey=error").Parse(subjectTmpl)
	if err != nil {
		return fmt.Errorf("otp: template %s subject: %w", name, err)
	}
	body, err := template.New(name + "/body").Option("missingkey=error").Parse(bodyTmpl)
	if err != nil {
		return fmt.Errorf("otp: template %s body: %w", name, err)
	}
	t.mu.Lock()
	if t.m == nil {
		t.m = make(map[templateKey]templatePair)
	}
	t.m[templateKey{purpose, normalizeLocale(locale)}] = templatePair{subject: subject, body: body}
	t.mu.Unlock()
	return nil
}

// Render executes the templates that fit purpose and locale and returns the
// subject and the body.
func (t *Templates) Render(purpose Purpose, locale string, data TemplateData) (subject, body string, err error) {
	p, ok := t.lookup(purpose, locale)
	if !ok {
		return "", "", fmt.Errorf("otp: no template for purpose %q", purpose)
	}
	var b strings.Builder
	if err := p.subject.Execute(&b, data); err != nil {
		return "", "", fmt.Errorf("otp: render subject: %w", err)
	}
	subject = b.String()
	b.Reset()
	if err := p.body.Execute(&b, data); err != nil {
		return "", "", fmt.Errorf("otp: render body: %w", err)
	}
	return subject, b.String(), nil
}

func (t *Templates) lookup(purpose Purpose, locale string) (templatePair, bool) {
	locale = normalizeLocale(locale)
	lang, _, _ := strings.Cut(locale, "-")
	t.mu.RLock()
	defer t.mu.RUnlock()
	for _, k := range [...]templateKey{
		{purpose, locale}, {purpose, lang},
		{"", locale}, {"", lang},
		{purpose, "en"}, {"", "en"},
	} {
		if p, ok := t.m[k]; ok {
			return p, true
		}
	}
	return templatePair{}, false
}

// normalizeLocale lower-cases a locale and uses "-" as separator
// ("fr_FR" → "fr-fr").
func normalizeLocale(l string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimSpace(l)), "_", "-")
}
