package api

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/rencana-id/rencana/internal/domain"
)

// The OpenAPI 3 document of the v1 API, written out here by hand as a list
// of operations and schemas and served at /api/v1/openapi.json. It is kept
// apart from routes() on purpose: a test compares the two, so a route added
// without documentation (or documentation of a route that is gone) fails.

// Operation is one documented endpoint.
type Operation struct {
	Method  string
	Path    string // OpenAPI form: /api/v1/proposals/{id}
	ID      string
	Tag     string
	Summary string
	// Public operations need no token; everything else answers 401 without one.
	Public  bool
	Params  []Param
	Body    string // request schema name; "" for none
	BodyReq bool   // the body is required
	Status  int    // success status
	Result  string // success schema name; "" for no JSON body
	Errors  []int  // documented problem statuses besides 401 (and 500)
	// ResultType is the media type of the success body; "" means
	// application/json. Several, separated by commas, when a parameter
	// chooses among them (format=csv|xlsx). A non-JSON result without a
	// Result schema is documented as a binary file.
	ResultType string
	// BodyType is the media type of the request body; "" means
	// application/json (an upload is multipart/form-data).
	BodyType string
}

// mediaTypes lists the media types of t, application/json when t is "".
func mediaTypes(t string) []string {
	if t == "" {
		return []string{echo.MIMEApplicationJSON}
	}
	var out []string
	for _, m := range strings.Split(t, ",") {
		if m = strings.TrimSpace(m); m != "" {
			out = append(out, m)
		}
	}
	return out
}

// content is the OpenAPI content map of a body of media types t with
// schema name (a binary file when name is "" and t is not JSON).
func content(t, name string) jsonObject {
	out := jsonObject{}
	for _, m := range mediaTypes(t) {
		schema := jsonObject{"type": "string", "format": "binary"}
		if name != "" {
			schema = ref(name)
		}
		out[m] = jsonObject{"schema": schema}
	}
	return out
}

// Param is a path, query or header parameter.
type Param struct {
	Name, In, Desc string
	Schema         map[string]any
	Required       bool
}

type jsonObject = map[string]any

func str(desc string) jsonObject { return jsonObject{"type": "string", "description": desc} }
func strEnum(desc string, values ...string) jsonObject {
	return jsonObject{"type": "string", "description": desc, "enum": values}
}
func integer(desc string) jsonObject {
	return jsonObject{"type": "integer", "format": "int64", "description": desc}
}
func number(desc string) jsonObject  { return jsonObject{"type": "number", "description": desc} }
func boolean(desc string) jsonObject { return jsonObject{"type": "boolean", "description": desc} }
func dateTime(desc string) jsonObject {
	return jsonObject{"type": "string", "format": "date-time", "description": desc + " (UTC, RFC 3339)"}
}
func nullable(o jsonObject) jsonObject {
	c := jsonObject{"nullable": true}
	for k, v := range o {
		c[k] = v
	}
	return c
}
func ref(name string) jsonObject       { return jsonObject{"$ref": "#/components/schemas/" + name} }
func array(item jsonObject) jsonObject { return jsonObject{"type": "array", "items": item} }
func object(required []string, props jsonObject) jsonObject {
	o := jsonObject{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}
func page(item string) jsonObject {
	return object([]string{"items", "next_cursor"}, jsonObject{
		"items":       array(ref(item)),
		"next_cursor": nullable(str("Kursor halaman berikutnya (kirim sebagai ?cursor=); null pada halaman terakhir.")),
	})
}

func names[T ~string](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return out
}

func schemas() jsonObject {
	stage := strEnum("Tahap usulan.", names(domain.Stages)...)
	action := strEnum("Aksi tahap.", names(domain.Actions)...)
	category := strEnum("Kategori program.", names(domain.Categories)...)
	funding := strEnum("Sumber dana.", names(domain.FundingSources)...)
	role := strEnum("Peran.", names(domain.Roles)...)
	indicator := object([]string{"name", "target", "unit"}, jsonObject{
		"name": str("Nama indikator, paling panjang 200 karakter."), "target": number("Target, 0 sampai 1.000.000.000."),
		"unit": str("Satuan, paling panjang 50 karakter."),
	})
	amount := func(desc string) jsonObject {
		o := integer(desc + " Bilangan bulat rupiah, 0 sampai 1.000.000.000.000.")
		o["minimum"], o["maximum"] = 0, MaxAmountIDR
		return o
	}
	grant := object([]string{"role", "scope", "valid_from", "valid_until"}, jsonObject{
		"role": role, "scope": str(`Kode wilayah yang dicakup, atau "*" untuk nasional.`),
		"valid_from":  nullable(dateTime("Mulai berlaku (inklusif); null: sejak awal.")),
		"valid_until": nullable(dateTime("Akhir berlaku (eksklusif); null: tanpa batas.")),
	})
	grantInput := object([]string{"role", "scope"}, jsonObject{
		"role": role, "scope": str(`Kode wilayah setingkat peran, atau "*" untuk peran nasional.`),
		"valid_from":  nullable(dateTime("Mulai berlaku; untuk pendelegasian sementara.")),
		"valid_until": nullable(dateTime("Akhir berlaku; untuk pendelegasian sementara.")),
	})
	user := object([]string{"username", "full_name", "roles"}, jsonObject{
		"username": str("Nama pengguna."), "full_name": str("Nama lengkap."), "roles": array(ref("Grant")),
	})
	proposalProps := jsonObject{
		"id": str("Id usulan."), "cycle_id": str("Siklus, misalnya 74-2027."),
		"region_code": str("Kode wilayah usulan (kecamatan, kab/kota atau provinsi)."),
		"title":       str("Judul."), "description": str("Uraian."), "category": jsonObject{"type": "string"},
		"amount_idr": amount("Pagu usulan."), "funding_source": jsonObject{"type": "string"},
		"indicators": array(ref("Indicator")), "sipd_code": str("Kode sub kegiatan SIPD."),
		"beneficiaries": str("Penerima manfaat."), "stage": stage,
		"priority":     integer("Peringkat prioritas konsolidasi; 0 sebelum dikonsolidasi."),
		"consolidated": boolean("Sudah dikonsolidasi."), "consolidated_amount_idr": amount("Pagu konsolidasi."),
		"created_by": str("Pembuat."), "submitted_by": str("Pengaju."),
		"due_at":          nullable(dateTime("Batas waktu tahap sekarang menurut kalender siklus.")),
		"overdue":         boolean("Melewati batas waktu tahap."),
		"version":         integer("Versi; juga ETag untuk If-Match."),
		"allowed_actions": array(action), "created_at": dateTime("Dibuat."), "updated_at": dateTime("Diubah."),
	}
	proposalReq := make([]string, 0, len(proposalProps))
	for k := range proposalProps {
		proposalReq = append(proposalReq, k)
	}
	sort.Strings(proposalReq)
	draftProps := func() jsonObject {
		return jsonObject{
			"title": str("Judul, wajib, paling panjang 200 karakter."), "description": str("Uraian, paling panjang 5000 karakter."),
			"category": category, "amount_idr": amount("Pagu usulan."), "funding_source": funding,
			"indicators": array(ref("Indicator")), "sipd_code": str("Kode sub kegiatan SIPD (opsional) dari nomenklatur tahun anggaran siklus."),
			"beneficiaries": str("Penerima manfaat, paling panjang 1000 karakter."),
		}
	}
	create := draftProps()
	create["cycle_id"] = str("Siklus yang ada, misalnya 74-2027.")
	create["region_code"] = str("Kecamatan, kab/kota atau provinsi di provinsi siklus.")
	adminUser := object([]string{"username", "full_name", "email", "disabled", "created_at", "roles"}, jsonObject{
		"username": str("Nama pengguna."), "full_name": str("Nama lengkap."), "email": str("Surel; kosong bila tidak ada."),
		"disabled": boolean("Akun dinonaktifkan."), "created_at": dateTime("Dibuat."), "roles": array(ref("Grant")),
		"grant_events": array(ref("GrantEvent")),
	})
	all := jsonObject{
		"Problem": object([]string{"type", "title", "status"}, jsonObject{
			"type": str("URI jenis masalah."), "title": str("Judul singkat."), "status": integer("Status HTTP."),
			"detail": str("Penjelasan yang dapat ditindaklanjuti."), "errors": array(ref("FieldError")),
		}),
		"FieldError":  object([]string{"field", "message"}, jsonObject{"field": str("Nama kolom."), "message": str("Apa yang harus diperbaiki.")}),
		"Health":      object(nil, jsonObject{"status": str("ok")}),
		"Readiness":   object(nil, jsonObject{"database": str("ok atau unreachable"), "temporal": str("ok atau unreachable")}),
		"OpenAPI":     jsonObject{"type": "object", "description": "Dokumen ini."},
		"Login":       object([]string{"username", "password"}, jsonObject{"username": str("Nama pengguna."), "password": str("Kata sandi.")}),
		"LoginResult": object([]string{"token", "expires_at", "user"}, jsonObject{"token": str("JWT untuk header Authorization: Bearer."), "expires_at": dateTime("Kedaluwarsa token."), "user": ref("User")}),
		"User":        user,
		"Grant":       grant,
		"GrantInput":  grantInput,
		"GrantRemove": object([]string{"role", "scope"}, jsonObject{"role": role, "scope": str("Cakupan peran yang dicabut.")}),
		"GrantEvent": object([]string{"username", "grant", "change", "changed_by", "changed_at"}, jsonObject{
			"username": str("Pengguna."), "grant": ref("Grant"), "change": strEnum("Jenis perubahan.", "grant", "revoke"),
			"changed_by": str("Pelaku."), "changed_at": dateTime("Waktu."),
		}),
		"AdminUser":     adminUser,
		"AdminUserList": page("AdminUser"),
		"UserCreate": object([]string{"username", "password", "full_name"}, jsonObject{
			"username": str("3-64 karakter: huruf kecil, angka, titik, garis bawah, tanda hubung."),
			"password": str("8-72 karakter."), "full_name": str("Nama lengkap."), "email": str("Surel (opsional)."),
			"roles": array(ref("GrantInput")),
		}),
		"Indicator":    indicator,
		"Proposal":     object(proposalReq, proposalProps),
		"ProposalList": page("Proposal"),
		"ProposalSummary": object([]string{"count", "amount_idr", "stages", "kabkota"}, jsonObject{
			"count": integer("Jumlah usulan."), "amount_idr": integer("Jumlah pagu usulan, rupiah."),
			"stages":  array(ref("SummaryGroup")),
			"kabkota": array(ref("SummaryGroup")),
		}),
		"SummaryGroup": object([]string{"key", "count", "amount_idr"}, jsonObject{
			"key":   str("Tahap (pada stages) atau kode kab/kota (pada kabkota; usulan provinsi dihitung pada kode provinsi)."),
			"count": integer("Jumlah usulan."), "amount_idr": integer("Jumlah pagu usulan, rupiah."),
		}),
		"ProposalCreate": object([]string{"cycle_id", "region_code", "title"}, create),
		"ProposalPatch":  object(nil, draftProps()),
		"ActionRequest": object(nil, jsonObject{
			"comment":                 str("Komentar; wajib untuk return, reject, defer dan decline."),
			"priority":                integer("consolidate: peringkat prioritas 1-100000."),
			"consolidated_amount_idr": amount("consolidate: pagu konsolidasi."),
			"funding_source":          funding,
			"sipd_code":               str("map: kode sub kegiatan dengan tingkat pemda usulan."),
		}),
		"Event": object([]string{"proposal_id", "seq", "action", "from_stage", "to_stage", "actor", "comment", "at"}, jsonObject{
			"proposal_id": str("Usulan."), "seq": integer("Urutan."), "action": str("Aksi atau peristiwa (create, edit, submit, ...)."),
			"from_stage": str("Tahap asal."), "to_stage": str("Tahap tujuan."),
			"actor":   object([]string{"username", "role", "scope"}, jsonObject{"username": str("Pelaku."), "role": str("Peran."), "scope": str("Cakupan.")}),
			"comment": str("Komentar."), "payload": jsonObject{"type": "object", "description": "Parameter aksi."}, "at": dateTime("Waktu."),
		}),
		"History": object([]string{"items"}, jsonObject{"items": array(ref("Event"))}),
		"Task": object([]string{"kind", "proposal_id", "title", "region_code", "stage", "actions", "due_at", "overdue"}, jsonObject{
			"kind":        strEnum("Jenis tugas: usulan, atau tahap Koperasi Merah Putih (proposal_id dan stage kosong).", "proposal", "kmp"),
			"proposal_id": str("Usulan."), "title": str("Judul."), "region_code": str("Wilayah (desa/kelurahan untuk kmp)."),
			"stage":   strEnum("Tahap usulan; kosong untuk kmp.", append(names(domain.Stages), "")...),
			"actions": array(strEnum("Aksi tahap; record untuk kmp.", append(names(domain.Actions), "record")...)),
			"due_at":  nullable(dateTime("Batas waktu.")), "overdue": boolean("Terlambat."),
			"milestone": strEnum("Tahap KMP yang harus dicatat (kmp).", names(domain.KMPMilestones)...),
		}),
		"TaskList": page("Task"),
		"Region": object([]string{"code", "name", "level"}, jsonObject{
			"code": str("Kode Kemendagri."), "name": str("Nama."), "level": integer("1 provinsi, 2 kab/kota, 3 kecamatan, 4 desa."),
			"parent_code": str("Induk."),
		}),
		"RegionList": object([]string{"items"}, jsonObject{"items": array(ref("Region"))}),
		"Nomenclature": object([]string{"code", "level", "pemda_level", "name"}, jsonObject{
			"version_id": integer("Versi."), "code": str("Kode."), "level": str("urusan, bidang_urusan, program, kegiatan, sub_kegiatan."),
			"pemda_level": str("provinsi, kabkota atau both."), "name": str("Nama."), "kinerja": str("Kinerja."),
			"indikator": str("Indikator."), "satuan": str("Satuan."), "status": str("Status."), "source": str("Sumber."),
		}),
		"NomenclatureList": object([]string{"items"}, jsonObject{"items": array(ref("Nomenclature"))}),
	}
	for _, extra := range []jsonObject{cycleSchemas(), exportSchemas(), kmpSchemas()} {
		for k, v := range extra {
			all[k] = v
		}
	}
	return all
}

var (
	pID     = Param{Name: "id", In: "path", Required: true, Desc: "Id usulan.", Schema: str("")}
	pLimit  = Param{Name: "limit", In: "query", Desc: "Ukuran halaman, 1-200 (bawaan 50).", Schema: jsonObject{"type": "integer", "minimum": 1, "maximum": 200}}
	pCursor = Param{Name: "cursor", In: "query", Desc: "next_cursor dari halaman sebelumnya.", Schema: str("")}
)

// Operations lists every documented endpoint.
func Operations() []Operation {
	ops := coreOperations()
	ops = append(ops, cycleOperations()...)
	ops = append(ops, exportOperations()...)
	return append(ops, kmpOperations()...)
}

func coreOperations() []Operation {
	return []Operation{
		{Method: "GET", Path: "/healthz", ID: "healthz", Tag: "sistem", Summary: "Proses hidup.", Public: true, Status: 200, Result: "Health"},
		{Method: "GET", Path: "/readyz", ID: "readyz", Tag: "sistem", Summary: "Basis data dan Temporal terjangkau.", Public: true, Status: 200, Result: "Readiness", Errors: []int{503}},
		{Method: "GET", Path: "/api/v1/openapi.json", ID: "openapi", Tag: "sistem", Summary: "Dokumen ini.", Public: true, Status: 200, Result: "OpenAPI"},
		{Method: "POST", Path: "/api/v1/auth/login", ID: "login", Tag: "akun", Summary: "Masuk dan terima token (JWT) yang kedaluwarsa.", Public: true,
			Body: "Login", BodyReq: true, Status: 200, Result: "LoginResult", Errors: []int{415, 422, 429}},
		{Method: "GET", Path: "/api/v1/me", ID: "me", Tag: "akun", Summary: "Pengguna yang masuk dan perannya.", Status: 200, Result: "User"},

		{Method: "POST", Path: "/api/v1/proposals", ID: "createProposal", Tag: "usulan", Summary: "Buat draf usulan.",
			Params: []Param{{Name: "Idempotency-Key", In: "header", Desc: "Kunci unik per percobaan: pengiriman ulang dengan kunci yang sama menghasilkan usulan yang sama.", Schema: str("")}},
			Body:   "ProposalCreate", BodyReq: true, Status: 201, Result: "Proposal", Errors: []int{403, 409, 415, 422, 503}},
		{Method: "GET", Path: "/api/v1/proposals", ID: "listProposals", Tag: "usulan", Summary: "Usulan yang boleh dilihat, terbaru dahulu.",
			Params: []Param{
				{Name: "cycle_id", In: "query", Desc: "Siklus.", Schema: str("")},
				{Name: "stage", In: "query", Desc: "Tahap.", Schema: strEnum("", names(domain.Stages)...)},
				{Name: "region", In: "query", Desc: "Wilayah dan semua wilayah di bawahnya.", Schema: str("")},
				{Name: "q", In: "query", Desc: "Cari pada judul dan uraian.", Schema: str("")},
				pLimit, pCursor,
			}, Status: 200, Result: "ProposalList", Errors: []int{422}},
		{Method: "GET", Path: "/api/v1/proposals/summary", ID: "summarizeProposals", Tag: "usulan",
			Summary: "Jumlah dan pagu usulan yang boleh dilihat, per tahap dan per kab/kota, dengan filter yang sama dengan daftar usulan.",
			Params: []Param{
				{Name: "cycle_id", In: "query", Desc: "Siklus.", Schema: str("")},
				{Name: "stage", In: "query", Desc: "Tahap.", Schema: strEnum("", names(domain.Stages)...)},
				{Name: "region", In: "query", Desc: "Wilayah dan semua wilayah di bawahnya.", Schema: str("")},
				{Name: "q", In: "query", Desc: "Cari pada judul dan uraian.", Schema: str("")},
			}, Status: 200, Result: "ProposalSummary", Errors: []int{422}},
		{Method: "GET", Path: "/api/v1/proposals/{id}", ID: "getProposal", Tag: "usulan", Summary: "Satu usulan dengan allowed_actions dan ETag.",
			Params: []Param{pID}, Status: 200, Result: "Proposal", Errors: []int{404}},
		{Method: "PATCH", Path: "/api/v1/proposals/{id}", ID: "editProposal", Tag: "usulan", Summary: "Ubah draf.",
			Params: []Param{pID, {Name: "If-Match", In: "header", Required: true, Desc: "ETag dari GET usulan.", Schema: str("")}},
			Body:   "ProposalPatch", BodyReq: true, Status: 200, Result: "Proposal", Errors: []int{403, 404, 409, 412, 415, 422, 428, 503}},
		{Method: "GET", Path: "/api/v1/proposals/{id}/history", ID: "proposalHistory", Tag: "usulan", Summary: "Riwayat perubahan, terlama dahulu.",
			Params: []Param{pID}, Status: 200, Result: "History", Errors: []int{404}},
		{Method: "POST", Path: "/api/v1/proposals/{id}/actions/{action}", ID: "act", Tag: "usulan", Summary: "Lakukan aksi tahap; menjawab dengan keadaan baru setelah tersimpan.",
			Params: []Param{pID, {Name: "action", In: "path", Required: true, Desc: "Aksi.", Schema: strEnum("", names(domain.Actions)...)},
				{Name: "If-Match", In: "header", Desc: "ETag yang diharapkan (opsional).", Schema: str("")}},
			Body: "ActionRequest", Status: 200, Result: "Proposal", Errors: []int{403, 404, 409, 412, 415, 422, 503}},
		{Method: "GET", Path: "/api/v1/tasks", ID: "tasks", Tag: "usulan", Summary: "Usulan yang dapat Anda tindak lanjuti sekarang, batas waktu terdekat dahulu.",
			Params: []Param{pLimit, pCursor}, Status: 200, Result: "TaskList", Errors: []int{403, 422}},

		{Method: "GET", Path: "/api/v1/cycles", ID: "listCycles", Tag: "siklus", Summary: "Siklus yang boleh dilihat, dengan fase, pagu indikatif, target, kesepakatan dan daftar hadir Rakorda.", Status: 200, Result: "CycleList"},
		{Method: "GET", Path: "/api/v1/cycles/{id}", ID: "getCycle", Tag: "siklus", Summary: "Satu siklus.",
			Params: []Param{pCycleID}, Status: 200, Result: "Cycle", Errors: []int{404}},
		{Method: "GET", Path: "/api/v1/regions", ID: "listRegions", Tag: "referensi", Summary: "Wilayah anak dari parent (tanpa parent: provinsi).",
			Params: []Param{{Name: "parent", In: "query", Desc: "Kode wilayah induk.", Schema: str("")}}, Status: 200, Result: "RegionList", Errors: []int{403, 404, 422}},
		{Method: "GET", Path: "/api/v1/regions/{code}", ID: "getRegion", Tag: "referensi", Summary: "Satu wilayah.",
			Params: []Param{{Name: "code", In: "path", Required: true, Desc: "Kode Kemendagri.", Schema: str("")}}, Status: 200, Result: "Region", Errors: []int{403, 404}},
		{Method: "GET", Path: "/api/v1/nomenclature", ID: "searchNomenclature", Tag: "referensi", Summary: "Cari nomenklatur SIPD yang berlaku untuk tahun anggaran.",
			Params: []Param{
				{Name: "q", In: "query", Desc: "Kode atau nama.", Schema: str("")},
				{Name: "pemda_level", In: "query", Desc: "provinsi atau kabkota.", Schema: strEnum("", "provinsi", "kabkota")},
				{Name: "fiscal_year", In: "query", Desc: "Tahun anggaran; bawaan: versi terbaru.", Schema: jsonObject{"type": "integer"}},
				{Name: "level", In: "query", Desc: "Tingkat kode.", Schema: strEnum("", "urusan", "bidang_urusan", "program", "kegiatan", "sub_kegiatan")},
				{Name: "limit", In: "query", Desc: "1-500 (bawaan 50).", Schema: jsonObject{"type": "integer", "minimum": 1, "maximum": 500}},
			}, Status: 200, Result: "NomenclatureList", Errors: []int{403, 422}},

		{Method: "POST", Path: "/api/v1/admin/users", ID: "createUser", Tag: "admin", Summary: "Buat pengguna dengan perannya.",
			Body: "UserCreate", BodyReq: true, Status: 201, Result: "AdminUser", Errors: []int{403, 409, 415, 422}},
		{Method: "GET", Path: "/api/v1/admin/users", ID: "listUsers", Tag: "admin", Summary: "Daftar pengguna.",
			Params: []Param{pLimit, pCursor}, Status: 200, Result: "AdminUserList", Errors: []int{403, 422}},
		{Method: "GET", Path: "/api/v1/admin/users/{username}", ID: "getUser", Tag: "admin", Summary: "Pengguna dengan peran dan riwayat perubahan peran.",
			Params: []Param{{Name: "username", In: "path", Required: true, Desc: "Nama pengguna.", Schema: str("")}}, Status: 200, Result: "AdminUser", Errors: []int{403, 404}},
		{Method: "POST", Path: "/api/v1/admin/users/{username}/roles", ID: "addRole", Tag: "admin", Summary: "Beri peran (atau delegasi sementara); tercatat di riwayat.",
			Params: []Param{{Name: "username", In: "path", Required: true, Desc: "Nama pengguna.", Schema: str("")}},
			Body:   "GrantInput", BodyReq: true, Status: 200, Result: "AdminUser", Errors: []int{403, 404, 415, 422}},
		{Method: "DELETE", Path: "/api/v1/admin/users/{username}/roles", ID: "removeRole", Tag: "admin", Summary: "Cabut peran; tercatat di riwayat.",
			Params: []Param{{Name: "username", In: "path", Required: true, Desc: "Nama pengguna.", Schema: str("")}},
			Body:   "GrantRemove", BodyReq: true, Status: 200, Result: "AdminUser", Errors: []int{403, 404, 415, 422}},
	}
}

func problemResponse(status int) jsonObject {
	return jsonObject{
		"description": title(status),
		"content":     jsonObject{"application/problem+json": jsonObject{"schema": ref("Problem")}},
	}
}

// OpenAPIDocument builds the document from Operations.
func OpenAPIDocument() jsonObject {
	paths := jsonObject{}
	for _, op := range Operations() {
		o := jsonObject{"operationId": op.ID, "tags": []string{op.Tag}, "summary": op.Summary}
		if op.Public {
			o["security"] = []any{}
		}
		var params []any
		for _, p := range op.Params {
			params = append(params, jsonObject{"name": p.Name, "in": p.In, "description": p.Desc, "required": p.Required, "schema": p.Schema})
		}
		if len(params) > 0 {
			o["parameters"] = params
		}
		if op.Body != "" {
			o["requestBody"] = jsonObject{"required": op.BodyReq, "content": content(op.BodyType, op.Body)}
		}
		ok := jsonObject{"description": "Berhasil."}
		if op.Result != "" || op.ResultType != "" {
			ok["content"] = content(op.ResultType, op.Result)
		}
		responses := jsonObject{strconv.Itoa(op.Status): ok, "500": problemResponse(500)}
		if !op.Public {
			responses["401"] = problemResponse(401)
		}
		for _, st := range op.Errors {
			responses[strconv.Itoa(st)] = problemResponse(st)
		}
		o["responses"] = responses
		item, _ := paths[op.Path].(jsonObject)
		if item == nil {
			item = jsonObject{}
			paths[op.Path] = item
		}
		item[strings.ToLower(op.Method)] = o
	}
	return jsonObject{
		"openapi": "3.0.3",
		"info": jsonObject{
			"title":   "rencana API",
			"version": "1",
			"description": "Alur usulan program koperasi dan UMKM dari kecamatan sampai pemetaan SIPD. " +
				"Kesalahan berformat application/problem+json; uang dalam rupiah bulat (amount_idr); waktu UTC RFC 3339.",
		},
		"servers":    []any{jsonObject{"url": "/"}},
		"security":   []any{jsonObject{"bearerAuth": []string{}}},
		"paths":      paths,
		"components": jsonObject{"schemas": schemas(), "securitySchemes": jsonObject{"bearerAuth": jsonObject{"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
	}
}

var openapiJSON = sync.OnceValue(func() []byte {
	b, err := json.MarshalIndent(OpenAPIDocument(), "", "  ")
	if err != nil {
		panic(err) // a static document: a failure is a bug found by the tests
	}
	return b
})

func (s *Server) openapi(c echo.Context) error {
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, openapiJSON())
}
