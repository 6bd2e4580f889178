package otp

import (
	"strings"
	"testing"
)

func TestTemplatesFallback(t *testing.T) {
	tpl := NewTemplates()
	data := TemplateData{Code: "123456", Minutes: 10}
	tests := []struct {
		purpose      Purpose
		locale       string
		subject, has string
	}{
		{PurposeLogin, "en", "Your login code", "Your login code is 123456. It expires in 10 minutes."},
		{PurposeLogin, "fr", "Votre code de connexion", "Votre code de connexion est 123456."},
		{PurposeLogin, "fr_CA", "Votre code de connexion", "123456"},
		{PurposeLogin, "FR-fr", "Votre code de connexion", "123456"},
		{PurposeLogin, "de", "Your login code", "123456"},
		{PurposeLogin, "", "Your login code", "123456"},
		{"custom", "fr", "Votre code de vérification", "Votre code de vérification est 123456"},
		{"custom", "es", "Your verification code", "Your verification code is 123456"},
		{PurposePasswordReset, "en", "Reset your password", "123456"},
		{PurposePasswordChange, "fr", "Confirmez le changement de mot de passe", "123456"},
		{PurposePhoneConfirmation, "en", "Confirm your phone number", "123456"},
		{PurposeEmailConfirmation, "fr", "Confirmez votre adresse e-mail", "123456"},
	}
	for _, tt := range tests {
		s, b, err := tpl.Render(tt.purpose, tt.locale, data)
		must(t, err)
		eq(t, s, tt.subject, tt.purpose, tt.locale)
		isTrue(t, strings.Contains(b, tt.has), tt.purpose, tt.locale, b)
	}
}

func TestTemplatesAdd(t *testing.T) {
	tpl := NewTemplates()
	must(t, tpl.Add(PurposeLogin, "de", "Ihr Code", "Ihr Code: {{.Code}} ({{.Minutes}} Min.)"))
	must(t, tpl.Add(PurposeLogin, "en", "Login", "Code {{.Code}}"))
	s, b, err := tpl.Render(PurposeLogin, "de-AT", TemplateData{Code: "42", Minutes: 5})
	must(t, err)
	eq(t, s, "Ihr Code")
	eq(t, b, "Ihr Code: 42 (5 Min.)")
	_, b, err = tpl.Render(PurposeLogin, "it", TemplateData{Code: "42"})
	must(t, err)
	eq(t, b, "Code 42", "override of English")
	isTrue(t, tpl.Add(PurposeLogin, "en", "{{", "x") != nil, "subject parse error")
	isTrue(t, tpl.Add(PurposeLogin, "en", "", "{{.Code") != nil, "body parse error")
	_, _, err = (&Templates{}).Render(PurposeLogin, "en", TemplateData{})
	isTrue(t, err != nil, "empty Templates")
	var zero Templates
	must(t, zero.Add("x", "en", "", "hi"))
}
