package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/policies"
)

// --- BUMDes businesses --------------------------------------------------------

type bumdesList struct {
	Items []store.BUMDesBusiness `json:"items"`
}

// listBUMDes lists the recorded BUMDes businesses of the cycle's province
// that the caller may read: each is decided on its own desa, so a kab/kota
// planner sees those of its kab/kota.
func (s *Server) listBUMDes(c echo.Context) error {
	cy, _, err := s.authorizedCycle(c, policies.ObjBUMDes, policies.ActRead, "Anda tidak berwenang melihat data usaha BUMDes siklus %s.")
	if err != nil {
		return err
	}
	ctx, user, now := c.Request().Context(), currentUser(c), s.now()
	all, err := s.db.ListBUMDesBusinesses(ctx, cy.ProvinceCode, false)
	if err != nil {
		return err
	}
	out := bumdesList{Items: []store.BUMDesBusiness{}}
	for _, b := range all {
		d, err := s.authz.Decide(ctx, policies.Request{Username: user, Object: policies.ObjBUMDes, Action: policies.ActRead, Region: b.RegionCode, At: now})
		if err != nil {
			return err
		}
		if d.Allowed {
			out.Items = append(out.Items, b)
		}
	}
	return c.JSON(http.StatusOK, out)
}

type bumdesRequest struct {
	RegionCode string   `json:"region_code"`
	Name       string   `json:"name"`
	Business   string   `json:"business"`
	Keywords   []string `json:"keywords"`
}

// bumdesID names a new BUMDes business record; with an Idempotency-Key it
// is derived from (user, key), so a retried POST writes the same record
// again instead of a second one.
func bumdesID(username, key string) string { return "bdm-" + keyedID("bumdes", username, key, 10) }

// createBUMDes records a business a BUMDes runs in a desa of the cycle's
// province, so that consolidation warns about proposals that would compete
// with it. Businesses belong to the desa, not to the cycle: the cycle in the
// path is where the planner works and which province is meant.
func (s *Server) createBUMDes(c echo.Context) error {
	cy, err := s.visibleCycle(c)
	if err != nil {
		return err
	}
	var req bumdesRequest
	key, err := bindCreate(c, &req)
	if err != nil {
		return err
	}
	ctx, user, now := c.Request().Context(), currentUser(c), s.now()
	var v domain.Validation
	b, err := s.bumdesRecord(ctx, cy, req, func(f string) string { return f }, &v)
	if err != nil {
		return err
	}
	if err := v.Err(); err != nil {
		return err
	}
	d, err := s.authz.Decide(ctx, policies.Request{Username: user, Object: policies.ObjBUMDes, Action: policies.ActManage, Region: b.RegionCode, At: now})
	if err != nil {
		return err
	}
	if !d.Allowed {
		return domain.Errorf(domain.EFORBIDDEN, "Anda tidak berwenang mencatat usaha BUMDes di desa %s.", b.RegionCode)
	}
	b.ID = bumdesID(user, key)
	if err := s.db.SaveBUMDesBusiness(ctx, b); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, b)
}

// bumdesRecord checks one business as typed (a JSON body or a CSV row) and
// returns it, active and stamped now but without its ID; field names a
// JSON field as the caller reports it ("baris 3: kode_desa" in an import).
func (s *Server) bumdesRecord(ctx context.Context, cy domain.Cycle, req bumdesRequest, field func(string) string, v *domain.Validation) (store.BUMDesBusiness, error) {
	b := store.BUMDesBusiness{
		RegionCode: strings.TrimSpace(req.RegionCode), Name: strings.TrimSpace(req.Name),
		Business: strings.TrimSpace(req.Business), Active: true, UpdatedAt: s.now().UTC(),
	}
	lvl, perr := domain.ParseRegionCode(b.RegionCode)
	switch {
	case b.RegionCode == "":
		v.Add(field("region_code"), "Kode desa wajib diisi, misalnya %s.05.03.2001.", cy.ProvinceCode)
	case len(b.RegionCode) > 13 || perr != nil || lvl != domain.LevelDesa:
		v.Add(field("region_code"), "Kode %q bukan kode desa/kelurahan (empat segmen, misalnya 74.05.03.2001).", b.RegionCode)
	case domain.RegionProvince(b.RegionCode) != cy.ProvinceCode:
		v.Add(field("region_code"), "Desa %s tidak termasuk provinsi %s dari siklus %s.", b.RegionCode, cy.ProvinceCode, cy.ID)
	default:
		ok, err := s.db.RegionExists(ctx, b.RegionCode)
		if err != nil {
			return b, err
		}
		if !ok {
			v.Add(field("region_code"), "Desa %q tidak ada dalam daftar wilayah Kemendagri.", b.RegionCode)
		}
	}
	if b.Name == "" {
		v.Add(field("name"), "Nama BUMDes wajib diisi, misalnya BUMDes Maju Bersama.")
	}
	domain.CheckLen(v, field("name"), "Nama BUMDes", b.Name, maxPersonField)
	if b.Business == "" {
		v.Add(field("business"), "Jenis usaha wajib diisi, misalnya pengolahan kopi bubuk.")
	}
	domain.CheckLen(v, field("business"), "Jenis usaha", b.Business, maxBUMDesBusiness)
	if len(req.Keywords) > maxBUMDesKeywords {
		v.Add(field("keywords"), "Paling banyak %d kata kunci (sekarang %d).", maxBUMDesKeywords, len(req.Keywords))
	}
	for i, k := range req.Keywords {
		domain.CheckLen(v, field(fmt.Sprintf("keywords[%d]", i)), "Kata kunci", k, maxKeyword)
		if k = strings.TrimSpace(k); k != "" {
			b.Keywords = append(b.Keywords, k)
		}
	}
	if len(b.Keywords) == 0 {
		v.Add(field("keywords"), "Minimal satu kata kunci usaha wajib diisi (kata yang akan muncul di judul usulan yang menyainginya, misalnya kopi).")
	}
	return b, nil
}

// bumdesColumns are the import file's columns, in order, and the JSON field
// each one is.
var bumdesColumns = []struct{ column, field string }{
	{"kode_desa", "region_code"}, {"nama_bumdes", "name"}, {"jenis_usaha", "business"}, {"kata_kunci", "keywords"},
}

type bumdesImportResult struct {
	Saved int                    `json:"saved"`
	Items []store.BUMDesBusiness `json:"items"`
}

// importBUMDes records many BUMDes businesses from a CSV file (columns
// kode_desa, nama_bumdes, jenis_usaha, kata_kunci; keywords separated by
// ";"): every row is checked, for its content and for the caller's right
// in its desa, and one bad row writes nothing and is named. A business is
// identified by its desa and name, so importing a corrected file again
// replaces the records instead of adding copies.
func (s *Server) importBUMDes(c echo.Context) error {
	cy, err := s.visibleCycle(c)
	if err != nil {
		return err
	}
	body, err := importBody(c)
	if err != nil {
		return err
	}
	data, err := io.ReadAll(body)
	if err != nil {
		return importFailure(err)
	}
	if !utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0 {
		return invalidField("file", "Berkas bukan CSV teks (UTF-8); simpan sebagai CSV UTF-8 dengan kolom %s.", bumdesHeader())
	}
	rd := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
	rd.FieldsPerRecord = -1
	recs, err := rd.ReadAll()
	if err != nil {
		return invalidField("file", "CSV tidak dapat dibaca: %v.", err)
	}
	if len(recs) == 0 || len(recs[0]) < len(bumdesColumns) {
		return invalidField("file", "Baris judul harus berisi %s.", bumdesHeader())
	}
	for i, col := range bumdesColumns {
		if strings.ToLower(strings.TrimSpace(recs[0][i])) != col.column {
			return invalidField("file", "Kolom %d baris judul harus %s (urutan: %s).", i+1, col.column, bumdesHeader())
		}
	}
	if len(recs) > 1+maxBUMDesImportRows {
		return invalidField("file", "Paling banyak %d baris usaha per berkas (sekarang %d).", maxBUMDesImportRows, len(recs)-1)
	}
	ctx, user, now := c.Request().Context(), currentUser(c), s.now()
	var v domain.Validation
	var denied []domain.FieldError
	out := bumdesImportResult{Items: []store.BUMDesBusiness{}}
	seen := map[string]int{}
	for i, rec := range recs[1:] {
		row := i + 2
		if strings.TrimSpace(strings.Join(rec, "")) == "" {
			continue
		}
		cell := func(j int) string {
			if j < len(rec) {
				return rec[j]
			}
			return ""
		}
		req := bumdesRequest{RegionCode: cell(0), Name: cell(1), Business: cell(2)}
		for _, k := range strings.Split(cell(3), ";") {
			if k = strings.TrimSpace(k); k != "" {
				req.Keywords = append(req.Keywords, k)
			}
		}
		field := func(f string) string {
			for _, col := range bumdesColumns {
				if f == col.field || strings.HasPrefix(f, col.field+"[") {
					return fmt.Sprintf("baris %d: %s", row, col.column)
				}
			}
			return fmt.Sprintf("baris %d: %s", row, f)
		}
		var rowV domain.Validation
		b, err := s.bumdesRecord(ctx, cy, req, field, &rowV)
		if err != nil {
			return err
		}
		if rowV.Err() != nil {
			copyFields(&v, rowV.Err(), "")
			continue
		}
		key := b.RegionCode + "\x00" + strings.ToLower(b.Name)
		if first, dup := seen[key]; dup {
			v.Add(field("name"), "BUMDes %s di desa %s sudah ada di baris %d.", b.Name, b.RegionCode, first)
			continue
		}
		seen[key] = row
		d, err := s.authz.Decide(ctx, policies.Request{Username: user, Object: policies.ObjBUMDes, Action: policies.ActManage, Region: b.RegionCode, At: now})
		if err != nil {
			return err
		}
		if !d.Allowed {
			denied = append(denied, domain.FieldError{Field: field("region_code"), Message: fmt.Sprintf("Anda tidak berwenang mencatat usaha BUMDes di desa %s.", b.RegionCode)})
			continue
		}
		b.ID = "bdm-" + keyedID("bumdes-import", b.RegionCode, strings.ToLower(b.Name), 10)
		out.Items = append(out.Items, b)
	}
	if err := v.Err(); err != nil {
		return err
	}
	if len(denied) > 0 {
		return &domain.Error{Code: domain.EFORBIDDEN, Fields: denied, Message: "Sebagian baris berada di luar wilayah Anda; tidak ada yang dicatat."}
	}
	if len(out.Items) == 0 {
		return invalidField("file", "Berkas tidak berisi baris usaha BUMDes.")
	}
	if err := s.db.SaveBUMDesBusinesses(ctx, out.Items); err != nil {
		return err
	}
	out.Saved = len(out.Items)
	s.log.Info("bumdes import", "request_id", c.Response().Header().Get(echo.HeaderXRequestID), "user", user, "cycle", cy.ID, "saved", out.Saved)
	return c.JSON(http.StatusOK, out)
}

// maxBUMDesImportRows bounds one import: a province has a few thousand desa.
const maxBUMDesImportRows = 20000

func bumdesHeader() string {
	cols := make([]string, len(bumdesColumns))
	for i, col := range bumdesColumns {
		cols[i] = col.column
	}
	return strings.Join(cols, ",")
}
