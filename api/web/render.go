package web

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/rencana-id/rencana/internal/domain"
)

// pageData is what every template gets: the layout's parts and the page's
// own Data.
type pageData struct {
	Title  string
	User   *userView
	CSRF   string
	Nav    string // which menu entry is current
	Flash  string // a success message from the previous step
	Error  string // the page-level error
	Fields map[string]string
	Zone   *time.Location
	Unread int64 // unread notifications, shown in the header
	Data   any
}

// Field returns the message for a form field, if the API named it.
func (p pageData) Field(name string) string { return p.Fields[name] }

func (h *Handler) parseTemplates() error {
	funcs := template.FuncMap{
		"rupiah":  rupiah,
		"number":  number,
		"inc":     func(i int) int { return i + 1 },
		"stage":   func(s domain.Stage) string { return s.Label() },
		"action":  func(a domain.Action) string { return a.Label() },
		"actionS": eventLabel,
		"category": func(c domain.Category) string {
			return c.Label()
		},
		"funding": func(f domain.FundingSource) string { return f.Label() },
		"role": func(r domain.Role) string {
			if r == "system" {
				return "sistem"
			}
			return r.Label()
		},
		"tanggal":     func(t time.Time, z *time.Location) string { return tanggal(t, z) },
		"tanggalP":    func(t *time.Time, z *time.Location) string { return tanggalPtr(t, z) },
		"dtinput":     tanggalInput,
		"dateField":   newDateField,
		"needsNote":   domain.Action.NeedsComment, // the form asks for a reason
		"eqs":         func(a, b any) bool { return fmt.Sprint(a) == fmt.Sprint(b) },
		"join":        strings.Join,
		"roundStatus": func(st domain.RoundStatus) string { return st.Label() },
		"roundAction": func(a domain.RoundAction) string { return a.Label() },
		"roundNote": func(st domain.RoundStatus, a domain.RoundAction) bool {
			t, _ := domain.RoundStep(st, a)
			return t.Comment
		},
	}
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return err
	}
	h.pages = map[string]*template.Template{}
	for _, name := range []string{"login", "tasks", "proposals", "proposal_form", "proposal", "cycles", "cycle", "status", "admin_users", "admin_user", "rakorda", "consolidation", "exports", "account", "notifications", "delegations", "koperasi", "cycle_new", "ceilings", "bumdes", "decisions"} {
		t, err := template.Must(layout.Clone()).ParseFS(templateFS, "templates/"+name+".html")
		if err != nil {
			return fmt.Errorf("template %s: %w", name, err)
		}
		h.pages[name] = t
	}
	return nil
}

// dateField is one date-and-time input with its Indonesian text beside it
// (template "datefield" in layout.html).
type dateField struct {
	Name, Label, Value, Text, Error string
}

// newDateField builds a date field for name; at may be a time.Time, a
// *time.Time or nil (empty field); posted, when not empty, is what the user
// typed and wins over at.
func newDateField(name, label string, at any, zone *time.Location, posted, errMsg string) dateField {
	f := dateField{Name: name, Label: label, Error: errMsg}
	var t time.Time
	switch v := at.(type) {
	case time.Time:
		t = v
	case *time.Time:
		if v != nil {
			t = *v
		}
	}
	if posted != "" {
		if p, err := time.ParseInLocation("2006-01-02T15:04", posted, zone); err == nil {
			t = p
		} else {
			f.Value = posted
			return f
		}
	}
	f.Value, f.Text = tanggalInput(t, zone), tanggalPanjang(t, zone)
	return f
}

func tanggalPtr(t *time.Time, z *time.Location) string {
	if t == nil {
		return "—"
	}
	return tanggal(*t, z)
}

// render writes page with the layout. Rendering into a buffer first means a
// template error becomes a clean 500, not half a page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, page string, status int, d pageData) {
	if d.Zone == nil {
		d.Zone = domain.WIB
		if d.User != nil {
			d.Zone = d.User.zone()
		}
	}
	var buf bytes.Buffer
	if err := h.pages[page].ExecuteTemplate(&buf, "layout.html", d); err != nil {
		h.log.Error("render page", "page", page, "err", err, "request_id", r.Header.Get("X-Request-Id"))
		http.Error(w, "Terjadi kesalahan internal.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// renderStatus shows a message page (403, 404, 500) inside the layout.
func (h *Handler) renderStatus(w http.ResponseWriter, r *http.Request, s *session, status int, msg string) {
	d := pageData{Title: http.StatusText(status), Error: msg}
	if s != nil {
		d.User, d.CSRF = &s.user, s.csrf
	}
	switch status {
	case http.StatusNotFound:
		d.Title = "Tidak ditemukan"
	case http.StatusForbidden:
		d.Title = "Tidak diizinkan"
	case http.StatusConflict:
		d.Title = "Tidak dapat dilakukan sekarang"
	default:
		if status >= 500 {
			d.Title = "Terjadi kesalahan"
		}
	}
	h.render(w, r, "status", status, d)
}

// fail shows an API refusal or an internal error as a page.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, s *session, err error) {
	if p, ok := err.(*problem); ok {
		if p.Status == http.StatusUnauthorized {
			h.clearSession(w)
			http.Redirect(w, r, "/masuk", http.StatusSeeOther)
			return
		}
		h.renderStatus(w, r, s, p.Status, p.message())
		return
	}
	h.log.Error("page", "path", r.URL.Path, "err", err, "request_id", r.Header.Get("X-Request-Id"))
	h.renderStatus(w, r, s, http.StatusInternalServerError, "Terjadi kesalahan internal. Coba lagi sebentar lagi.")
}

// base fills the layout's parts for a signed-in page.
func (s *session) base(title, nav string) pageData {
	return pageData{Title: title, User: &s.user, CSRF: s.csrf, Nav: nav, Zone: s.user.zone(), Unread: s.unread}
}

// eventLabel names a history event: an action, or one of the events the
// workflow records by itself.
func eventLabel(a string) string {
	switch a {
	case "create":
		return "Dibuat"
	case "edit":
		return "Diubah"
	case "lock":
		return "Dikunci, dikirim ke Kementerian"
	case "expire":
		return "Kedaluwarsa"
	case "escalate":
		return "Dieskalasi ke Kepala Dinas"
	case "reschedule":
		return "Jadwal berubah"
	}
	return domain.Action(a).Label()
}
