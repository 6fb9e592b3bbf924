package api

import (
	"sort"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/register"
)

var (
	pKoperasiID = Param{Name: "id", In: "path", Required: true, Desc: "Id koperasi.", Schema: str("")}
	pRoundKab   = Param{Name: "region", In: "path", Required: true, Desc: "Kode kab/kota, misalnya 74.05.", Schema: str("")}
	pPathYear   = Param{Name: "year", In: "path", Required: true, Desc: "Tahun data.", Schema: jsonObject{"type": "integer"}}
	pQYear      = Param{Name: "year", In: "query", Required: true, Desc: "Tahun data.", Schema: jsonObject{"type": "integer"}}
	pQRegionAny = Param{Name: "region", In: "query", Required: true, Desc: `Kode wilayah tingkat mana pun, atau "*" untuk nasional.`, Schema: str("")}
)

// registerOperations documents registerRoutes.
func registerOperations() []Operation {
	return []Operation{
		{Method: "POST", Path: "/api/v1/koperasi/imports", ID: "importKoperasi", Tag: "data koperasi",
			Summary: "Impor data koperasi satu kab/kota dan tahun (CSV atau XLSX, dinilai dari isinya; badan permintaan berkas itu sendiri atau multipart kolom file). " +
				"Semua atau tidak sama sekali: satu baris salah menolak seluruh berkas (422, errors berisi row, field, message; baris 2 = baris data pertama). " +
				"dry_run=true hanya menghitung added, changed, unchanged. 409 bila putaran data tahun itu tidak terbuka atau sudah diterima.",
			Params: []Param{
				{Name: "region", In: "query", Required: true, Desc: "Kode kab/kota.", Schema: str("")}, pQYear,
				{Name: "dry_run", In: "query", Desc: "true: pratinjau tanpa menyimpan.", Schema: jsonObject{"type": "boolean"}},
			},
			Body: "KoperasiUpload", BodyType: "text/csv, " + register.XLSX.ContentType() + ", multipart/form-data", BodyReq: true,
			Status: 200, Result: "ImportResult", Errors: []int{403, 404, 409, 413, 422}},
		{Method: "GET", Path: "/api/v1/koperasi/imports/template", ID: "koperasiTemplate", Tag: "data koperasi",
			Summary: "Templat berkas impor (judul kolom persis seperti yang diterima impor).",
			Params:  []Param{{Name: "format", In: "query", Desc: "csv (bawaan) atau xlsx.", Schema: strEnum("", "csv", "xlsx")}},
			Status:  200, ResultType: "text/csv, " + register.XLSX.ContentType(), Errors: []int{403, 422}},
		{Method: "GET", Path: "/api/v1/koperasi", ID: "listKoperasi", Tag: "data koperasi",
			Summary: "Koperasi dalam cakupan, urut nama. Dengan year: hanya yang punya data tahun itu, beserta data tahun itu.",
			Params: []Param{
				{Name: "region", In: "query", Desc: "Wilayah dan semua di bawahnya.", Schema: str("")},
				{Name: "year", In: "query", Desc: "Tahun data.", Schema: jsonObject{"type": "integer"}},
				{Name: "status", In: "query", Desc: "Status pada tahun itu (perlu year).", Schema: strEnum("", names(domain.KoperasiStatuses)...)},
				{Name: "q", In: "query", Desc: "Cari nama, atau NIK / nomor badan hukum persis.", Schema: str("")},
				pLimit, pCursor,
			}, Status: 200, Result: "KoperasiList", Errors: []int{422}},
		{Method: "GET", Path: "/api/v1/koperasi/indicators", ID: "koperasiIndicators", Tag: "data koperasi",
			Summary: "Indikator koperasi suatu wilayah dan tahun, dengan tahun sebelumnya (previous).",
			Params:  []Param{pQRegionAny, pQYear}, Status: 200, Result: "KoperasiIndicators", Errors: []int{403, 422}},
		{Method: "GET", Path: "/api/v1/koperasi/indicators/children", ID: "koperasiChildIndicators", Tag: "data koperasi",
			Summary: "Indikator setiap wilayah satu tingkat di bawah region (grafik dasbor per kab/kota).",
			Params:  []Param{pQRegionAny, pQYear}, Status: 200, Result: "ChildIndicatorList", Errors: []int{403, 422}},
		{Method: "GET", Path: "/api/v1/koperasi/{id}", ID: "getKoperasi", Tag: "data koperasi",
			Summary: "Satu koperasi dengan riwayat tahunannya.", Params: []Param{pKoperasiID}, Status: 200, Result: "Koperasi", Errors: []int{404}},
		{Method: "PUT", Path: "/api/v1/koperasi/{id}/years/{year}", ID: "putKoperasiYear", Tag: "data koperasi",
			Summary: "Ubah data satu tahun suatu koperasi (operator data, selama putaran data tahun itu terbuka atau dikembalikan).",
			Params:  []Param{pKoperasiID, pPathYear}, Body: "KoperasiYearInput", BodyReq: true, Status: 200, Result: "Koperasi",
			Errors: []int{403, 404, 409, 415, 422}},
		{Method: "PUT", Path: "/api/v1/umkm/{region}/{year}", ID: "putUMKM", Tag: "data koperasi",
			Summary: "Isi data UMKM kab/kota setahun (operator data, selama putaran data terbuka atau dikembalikan).",
			Params:  []Param{pRoundKab, pPathYear}, Body: "UMKMInput", BodyReq: true, Status: 200, Result: "UMKM",
			Errors: []int{403, 404, 409, 415, 422}},
		{Method: "GET", Path: "/api/v1/umkm/{region}/{year}", ID: "getUMKM", Tag: "data koperasi",
			Summary: "Data UMKM kab/kota setahun.", Params: []Param{pRoundKab, pPathYear}, Status: 200, Result: "UMKM", Errors: []int{404, 422}},
		{Method: "GET", Path: "/api/v1/data-rounds", ID: "listDataRounds", Tag: "putaran data",
			Summary: "Putaran data per kab/kota yang boleh dilihat, dengan status, batas waktu dan keterlambatan (late).",
			Params: []Param{
				{Name: "province", In: "query", Desc: "Kode provinsi; tanpa: semua dalam cakupan.", Schema: str("")},
				{Name: "year", In: "query", Desc: "Tahun data; tanpa: semua tahun.", Schema: jsonObject{"type": "integer"}},
			}, Status: 200, Result: "DataRoundList", Errors: []int{422}},
		{Method: "POST", Path: "/api/v1/data-rounds", ID: "openDataRounds", Tag: "putaran data",
			Summary: "Buka putaran data setiap kab/kota suatu provinsi untuk satu tahun (perencana provinsi), atau geser batas waktunya; idempoten.",
			Body:    "OpenDataRounds", BodyReq: true, Status: 200, Result: "DataRoundList", Errors: []int{403, 409, 415, 422, 503}},
		{Method: "GET", Path: "/api/v1/data-rounds/{region}/{year}", ID: "getDataRound", Tag: "putaran data",
			Summary: "Satu putaran data dengan riwayatnya (siapa, kapan, mengapa; revisi).", Params: []Param{pRoundKab, pPathYear},
			Status: 200, Result: "DataRoundDetail", Errors: []int{404, 422}},
		{Method: "GET", Path: "/api/v1/data-rounds/{region}/{year}/diff", ID: "dataRoundDiff", Tag: "putaran data",
			Summary: "Perbandingan data tahun itu dengan tahun sebelumnya: koperasi yang muncul, hilang, dan berubah status.",
			Params:  []Param{pRoundKab, pPathYear}, Status: 200, Result: "RoundDiff", Errors: []int{404, 422}},
		{Method: "POST", Path: "/api/v1/data-rounds/{region}/{year}/actions/{action}", ID: "dataRoundAction", Tag: "putaran data",
			Summary: "Aksi putaran data: submit (operator data), verify atau return (Kepala Dinas kab/kota), accept atau return (perencana provinsi), reopen (perencana provinsi: revisi baru). return dan reopen wajib komentar.",
			Params: []Param{pRoundKab, pPathYear,
				{Name: "action", In: "path", Required: true, Desc: "Aksi.", Schema: strEnum("", names(domain.RoundActions)...)}},
			Body: "RoundActionInput", Status: 200, Result: "DataRound", Errors: []int{403, 404, 409, 415, 422, 503}},
	}
}

// registerSchemas are the register's schemas.
func registerSchemas() jsonObject {
	status := strEnum("Status koperasi pada tahun itu.", names(domain.KoperasiStatuses)...)
	roundStatus := strEnum("Status putaran data.", names(domain.RoundStatuses)...)
	money := func(desc string) jsonObject {
		o := integer(desc + " Bilangan bulat rupiah.")
		o["minimum"] = 0
		return o
	}
	yearProps := func() jsonObject {
		return jsonObject{
			"status": status, "rat_date": str("Tanggal RAT (YYYY-MM-DD) pada tahun itu; kosong bila tidak ada."),
			"members": integer("Jumlah anggota."), "modal_sendiri_idr": money("Modal sendiri."), "modal_luar_idr": money("Modal luar."),
			"volume_usaha_idr": money("Volume usaha."), "shu_idr": money("Sisa hasil usaha."),
		}
	}
	kYear := yearProps()
	kYear["year"] = integer("Tahun.")
	kYear["berkualitas"] = boolean("Memenuhi aturan koperasi berkualitas (README): aktif, RAT tahun itu, SHU positif, modal sendiri ≥ modal luar, anggota ≥ 9.")
	indicatorProps := jsonObject{
		"region": str(`Wilayah, atau "*".`), "year": integer("Tahun."),
		"active": integer("Koperasi aktif."), "inactive": integer("Koperasi tidak aktif."), "dissolved": integer("Koperasi dibubarkan."),
		"new": integer("Badan hukum bertanggal tahun itu."), "rat_held": integer("Aktif dan RAT pada tahun itu."),
		"berkualitas": integer("Koperasi berkualitas."), "members": integer("Jumlah anggota."),
		"modal_sendiri_idr": money("Jumlah modal sendiri."), "modal_luar_idr": money("Jumlah modal luar."),
		"volume_usaha_idr": money("Jumlah volume usaha."), "shu_idr": money("Jumlah SHU."),
	}
	prevProps := jsonObject{}
	for k, v := range indicatorProps {
		prevProps[k] = v
	}
	prevProps["previous"] = nullable(jsonObject{"type": "object", "description": "Selalu null di tingkat ini."})
	indicatorProps["previous"] = nullable(object(keys(prevProps), prevProps))
	roundProps := jsonObject{
		"region": str("Kode kab/kota."), "year": integer("Tahun data."), "revision": integer("Revisi (1 untuk yang pertama)."),
		"status": roundStatus, "due_at": dateTime("Batas waktu pengajuan."), "overdue": boolean("Batas waktu lewat sebelum diajukan."),
		"comment": str("Komentar keputusan terakhir."), "version": integer("Versi."), "updated_at": dateTime("Diubah."),
		"name": str("Nama kab/kota."), "late": boolean("Masih terbuka/dikembalikan setelah batas waktu."),
		"allowed_actions": array(strEnum("Aksi yang boleh dilakukan pemanggil sekarang.", names(domain.RoundActions)...)),
	}
	detailProps := jsonObject{}
	for k, v := range roundProps {
		detailProps[k] = v
	}
	detailProps["events"] = array(ref("DataRoundEvent"))
	diffItem := object([]string{"koperasi_id", "name", "nik", "region_code"}, jsonObject{
		"koperasi_id": str("Id koperasi."), "name": str("Nama."), "nik": str("NIK."), "region_code": str("Desa/kelurahan."),
		"from_status": status, "to_status": status,
	})
	return jsonObject{
		"KoperasiUpload": jsonObject{"type": "string", "format": "binary",
			"description": "Berkas CSV atau XLSX dengan judul kolom persis: " + joinHeader()},
		"ImportResult": object([]string{"added", "changed", "unchanged", "errors"}, jsonObject{
			"added": integer("Koperasi yang belum punya data tahun itu."), "changed": integer("Yang berubah."),
			"unchanged": integer("Yang sama persis."), "errors": array(ref("FieldError")),
		}),
		"KoperasiYear": object(keys(kYear), kYear),
		"Koperasi": object([]string{"id", "nik", "badan_hukum_no", "badan_hukum_date", "name", "jenis", "region_code", "kmp", "years"}, jsonObject{
			"id": str("Id."), "nik": str("Nomor Induk Koperasi (16 angka) atau kosong."), "badan_hukum_no": str("Nomor badan hukum."),
			"badan_hukum_date": str("Tanggal badan hukum (YYYY-MM-DD)."), "name": str("Nama."),
			"jenis": strEnum("Jenis koperasi.", names(domain.Jenises)...), "region_code": str("Desa/kelurahan."),
			"kmp": boolean("Koperasi Merah Putih."), "years": array(ref("KoperasiYear")),
		}),
		"KoperasiList":       page("Koperasi"),
		"KoperasiYearInput":  object([]string{"status"}, yearProps()),
		"KoperasiIndicators": object(keys(indicatorProps), indicatorProps),
		"ChildIndicator": object([]string{"region", "name", "indicators"}, jsonObject{
			"region": str("Kode wilayah anak."), "name": str("Nama."), "indicators": ref("KoperasiIndicators"),
		}),
		"ChildIndicatorList": object([]string{"region", "year", "items"}, jsonObject{
			"region": str("Wilayah induk."), "year": integer("Tahun."), "items": array(ref("ChildIndicator")),
		}),
		"UMKMInput": object([]string{"mikro", "kecil", "menengah", "tenaga_kerja"}, jsonObject{
			"mikro": integer("Usaha mikro."), "kecil": integer("Usaha kecil."), "menengah": integer("Usaha menengah."), "tenaga_kerja": integer("Tenaga kerja."),
		}),
		"UMKM": object([]string{"region", "year", "mikro", "kecil", "menengah", "tenaga_kerja"}, jsonObject{
			"region": str("Kab/kota."), "year": integer("Tahun."),
			"mikro": integer("Usaha mikro."), "kecil": integer("Usaha kecil."), "menengah": integer("Usaha menengah."), "tenaga_kerja": integer("Tenaga kerja."),
		}),
		"DataRound":       object(keys(roundProps), roundProps),
		"DataRoundList":   object([]string{"items"}, jsonObject{"items": array(ref("DataRound"))}),
		"DataRoundDetail": object(keys(detailProps), detailProps),
		"DataRoundEvent": object([]string{"region", "year", "seq", "action", "from_status", "to_status", "revision", "actor", "comment", "at"}, jsonObject{
			"region": str("Kab/kota."), "year": integer("Tahun."), "seq": integer("Urutan."), "action": str("Aksi atau kejadian (open, set_due, reminder, overdue, submit, ...)."),
			"from_status": str("Status sebelum (kosong saat dibuka)."), "to_status": roundStatus, "revision": integer("Revisi."),
			"actor":   object([]string{"username", "role", "scope"}, jsonObject{"username": str("Pengguna."), "role": str("Peran."), "scope": str("Cakupan.")}),
			"comment": str("Komentar atau alasan."), "at": dateTime("Waktu."),
		}),
		"OpenDataRounds": object([]string{"province", "year", "due_at"}, jsonObject{
			"province": str("Kode provinsi."), "year": integer("Tahun data."), "due_at": dateTime("Batas waktu pengajuan."),
		}),
		"RoundActionInput": object(nil, jsonObject{
			"comment": str("Komentar; wajib untuk return dan reopen."), "due_at": nullable(dateTime("Batas waktu baru (hanya reopen).")),
		}),
		"RoundDiff": object([]string{"region", "year", "appeared_count", "disappeared_count", "changed_count", "appeared", "disappeared", "changed"}, jsonObject{
			"region": str("Kab/kota."), "year": integer("Tahun."), "appeared_count": integer("Muncul."), "disappeared_count": integer("Hilang."),
			"changed_count": integer("Berubah status."), "appeared": array(diffItem), "disappeared": array(diffItem), "changed": array(diffItem),
		}),
	}
}

func keys(o jsonObject) []string {
	out := make([]string, 0, len(o))
	for k := range o {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func joinHeader() string {
	s := ""
	for i, h := range register.Header {
		if i > 0 {
			s += ","
		}
		s += h
	}
	return s
}
