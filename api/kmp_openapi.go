package api

import (
	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/export"
)

var (
	pKMPCode   = Param{Name: "code", In: "path", Required: true, Desc: "Kode desa/kelurahan, misalnya 64.02.01.2001.", Schema: str("")}
	pKMPRegion = Param{Name: "region", In: "query", Desc: "Wilayah (provinsi, kab/kota, kecamatan, desa) atau * untuk seluruh Indonesia; bawaan: cakupan Anda.", Schema: str("")}
)

// kmpOperations documents kmpRoutes.
func kmpOperations() []Operation {
	return []Operation{
		{Method: "POST", Path: "/api/v1/kmp/start", ID: "startKMP", Tag: "kmp",
			Summary: "Mulai pembentukan Koperasi Merah Putih di setiap desa/kelurahan suatu kab/kota, provinsi atau seluruh Indonesia (*), dengan batas waktu per tahap. " +
				"Berjalan sebagai pekerjaan: 202 dengan hitungan sejauh ini; pantau di GET /api/v1/kmp/start/{job} (header Location). Aman diulang: desa yang sudah dimulai dihitung already.",
			Params: []Param{{Name: "Idempotency-Key", In: "header", Desc: "Pengiriman ulang dengan kunci yang sama menjawab dengan pekerjaan yang sama.", Schema: str("")}},
			Body:   "KMPStartInput", BodyReq: true, Status: 202, Result: "KMPStartJob", Errors: []int{403, 415, 422, 503}},
		{Method: "GET", Path: "/api/v1/kmp/start/{job}", ID: "kmpStartJob", Tag: "kmp", Summary: "Kemajuan pekerjaan memulai KMP.",
			Params: []Param{{Name: "job", In: "path", Required: true, Desc: "Id pekerjaan.", Schema: str("")}}, Status: 200, Result: "KMPStartJob", Errors: []int{404}},
		{Method: "GET", Path: "/api/v1/kmp/summary", ID: "kmpSummary", Tag: "kmp",
			Summary: "Jumlah desa/kelurahan per tahap (yang sudah mencapai paling sedikit tahap itu) dan yang terlambat, untuk wilayah dan setiap wilayah satu tingkat di bawahnya.",
			Params:  []Param{pKMPRegion}, Status: 200, Result: "KMPSummary", Errors: []int{403, 404, 422}},
		{Method: "GET", Path: "/api/v1/kmp/export", ID: "kmpExport", Tag: "kmp", Summary: "Dasbor KMP wilayah sebagai XLSX: ringkasan dan daftar desa, yang terlambat dahulu.",
			Params: []Param{pKMPRegion}, Status: 200, ResultType: baseMediaType(export.XLSX.ContentType()), Errors: []int{403, 404, 422}},
		{Method: "POST", Path: "/api/v1/kmp/imports", ID: "importKMP", Tag: "kmp",
			Summary: "Impor tahap KMP dari CSV kode_wilayah,tahap,tanggal,nomor,keterangan (mis. ekspor portal KMP nasional). Satu baris bermasalah: 422 dengan errors[{row,field,message}] dan tidak ada yang disimpan. " +
				"Tahap yang sudah tercatat dihitung unchanged, jadi unggah ulang aman. nomor: jumlah hadir (musdes), nomor akta, nomor SK AHU, NIB; keterangan: berita acara, \"ketua; sekretaris; bendahara[; pengawas...]\", notaris, jenis, penyelenggara, unit usaha (dipisah titik koma).",
			Params: []Param{{Name: "dry_run", In: "query", Desc: "true: pratinjau saja.", Schema: jsonObject{"type": "boolean"}}},
			Body:   "KMPImportUpload", BodyType: "text/csv, multipart/form-data", BodyReq: true, Status: 200, Result: "KMPImportResult", Errors: []int{403, 409, 413, 415, 422, 503}},
		{Method: "GET", Path: "/api/v1/kmp", ID: "listKMP", Tag: "kmp", Summary: "Daftar KMP di wilayah, urut kode; late=true hanya yang terlambat.",
			Params: []Param{pKMPRegion, {Name: "late", In: "query", Desc: "true atau false.", Schema: jsonObject{"type": "boolean"}}, pLimit, pCursor},
			Status: 200, Result: "KMPList", Errors: []int{403, 404, 422}},
		{Method: "GET", Path: "/api/v1/kmp/{code}", ID: "getKMP", Tag: "kmp", Summary: "KMP sebuah desa/kelurahan dengan setiap tahapnya.",
			Params: []Param{pKMPCode}, Status: 200, Result: "KMP", Errors: []int{404}},
		{Method: "POST", Path: "/api/v1/kmp/{code}/milestones/{milestone}", ID: "recordKMPMilestone", Tag: "kmp",
			Summary: "Catat tahap KMP (operator desa/kelurahan atau camat). 409 bila tidak berurutan atau sudah tercatat; 422 bila isian kurang. Unit usaha yang sudah dijalankan BUMDes desa menghasilkan peringatan (warnings), bukan penolakan.",
			Params:  []Param{pKMPCode, {Name: "milestone", In: "path", Required: true, Desc: "Tahap: " + milestoneList() + ".", Schema: strEnum("", names(domain.KMPMilestones)...)}},
			Body:    "KMPFields", BodyReq: true, Status: 200, Result: "KMP", Errors: []int{403, 404, 409, 415, 422, 503}},
	}
}

// kmpSchemas are the schemas kmpOperations refer to.
func kmpSchemas() jsonObject {
	milestone := strEnum("Tahap.", names(domain.KMPMilestones)...)
	units := make([]string, len(domain.KMPUnits))
	for i, u := range domain.KMPUnits {
		units[i] = string(u.Unit)
	}
	counts := func(extra jsonObject) jsonObject {
		props := jsonObject{"region": str("Kode wilayah (* untuk nasional)."), "total": integer("Desa/kelurahan yang pembentukan KMP-nya dimulai."),
			"by_milestone": jsonObject{"type": "object", "description": "Per tahap: desa/kelurahan yang sudah mencapai paling sedikit tahap itu.",
				"additionalProperties": integer("")},
			"late": integer("Desa/kelurahan yang terlambat pada tahap berikutnya.")}
		req := []string{"region", "total", "by_milestone", "late"}
		for k, v := range extra {
			props[k] = v
			req = append(req, k)
		}
		return object(req, props)
	}
	actor := object([]string{"username", "role", "scope"}, jsonObject{"username": str("Pelaku."), "role": str("Peran."), "scope": str("Cakupan.")})
	return jsonObject{
		"KMPFields": object([]string{"date"}, jsonObject{
			"date": str("Tanggal, TTTT-BB-HH."), "attendance": integer("musdes: jumlah hadir."), "berita_acara": str("musdes: berita acara (opsional)."),
			"ketua": str("pengurus."), "sekretaris": str("pengurus."), "bendahara": str("pengurus."), "pengawas": array(str("pengurus: pengawas (opsional).")),
			"number": str("akta: nomor akta."), "notary": str("akta: notaris."), "sk_number": str("badan_hukum: nomor SK AHU."),
			"jenis": strEnum("badan_hukum: jenis koperasi di register (opsional, bawaan konsumen).", "konsumen", "produsen", "simpan_pinjam", "pemasaran", "jasa"),
			"nib":   str("nib: 13 angka."), "provider": str("pelatihan: penyelenggara."), "units": array(strEnum("operasional: unit usaha.", units...)),
		}),
		"KMPRecord": object([]string{"milestone", "fields", "actor", "at"}, jsonObject{
			"milestone": milestone, "fields": ref("KMPFields"), "actor": actor, "at": dateTime("Dicatat."), "imported": boolean("Dari impor."),
		}),
		"KMPMilestone": object([]string{"milestone", "label", "reached", "due_at", "record"}, jsonObject{
			"milestone": milestone, "label": str("Nama tahap."), "reached": boolean("Sudah tercatat."),
			"due_at": nullable(dateTime("Batas waktu.")), "record": nullable(ref("KMPRecord")),
		}),
		"KMP": object([]string{"region_code", "name", "koperasi_name", "reached", "milestone", "next_milestone", "next_due_at", "late", "escalation",
			"milestones", "warnings", "can_record", "started_at", "updated_at"}, jsonObject{
			"region_code": str("Desa/kelurahan."), "name": str("Nama desa/kelurahan."), "koperasi_name": str("Nama koperasi."),
			"reached": integer("Jumlah tahap tercatat (0-7)."), "milestone": str("Tahap terakhir yang tercatat; kosong bila belum ada."),
			"next_milestone": str("Tahap berikutnya; kosong bila selesai."), "next_due_at": nullable(dateTime("Batas tahap berikutnya.")),
			"late": boolean("Tahap berikutnya melewati batas."), "escalation": strEnum("Yang sudah diberi tahu keterlambatan.", "", "camat", "satgas_kmp"),
			"milestones": array(ref("KMPMilestone")), "warnings": array(str("Peringatan tumpang tindih dengan usaha BUMDes.")),
			"can_record": boolean("Anda dapat mencatat tahap berikutnya."), "started_at": dateTime("Dimulai."), "updated_at": dateTime("Diubah."),
		}),
		"KMPList":         page("KMP"),
		"KMPSummaryChild": counts(jsonObject{"name": str("Nama wilayah.")}),
		"KMPSummary":      counts(jsonObject{"children": array(ref("KMPSummaryChild"))}),
		"KMPStartInput": object([]string{"region"}, jsonObject{
			"region": str("Kab/kota (64.02), provinsi (64) atau * (seluruh Indonesia)."),
			"deadlines": jsonObject{"type": "object", "description": "Batas per tahap (RFC 3339), berurutan; tahap tanpa batas tidak diingatkan.",
				"additionalProperties": jsonObject{"type": "string", "format": "date-time"}},
		}),
		"KMPStartJob": object([]string{"job", "region", "status", "total", "started", "already", "failed", "deadlines", "progress", "created_at", "updated_at", "finished_at"}, jsonObject{
			"job": str("Id pekerjaan."), "region": str("Wilayah."), "status": strEnum("Status.", "running", "done", "failed"),
			"total": integer("Desa/kelurahan di wilayah."), "started": integer("Alur kerja KMP yang dimulai pekerjaan ini."),
			"already": integer("Yang sudah berjalan sebelumnya."), "failed": integer("Yang gagal dimulai."),
			"deadlines": jsonObject{"type": "object", "additionalProperties": jsonObject{"type": "string", "format": "date-time"}},
			"progress":  str("Alamat untuk memantau."), "created_at": dateTime("Dibuat."), "updated_at": dateTime("Terakhir maju."),
			"finished_at": nullable(dateTime("Selesai.")),
		}),
		"KMPImportUpload": object([]string{"file"}, jsonObject{"file": jsonObject{"type": "string", "format": "binary", "description": "Berkas CSV."}}),
		"KMPImportResult": object([]string{"dry_run", "applied", "unchanged", "warnings", "errors"}, jsonObject{
			"dry_run": boolean("Pratinjau."), "applied": integer("Tahap yang dicatat (atau akan dicatat)."),
			"unchanged": integer("Baris yang tahapnya sudah tercatat."), "warnings": array(str("Peringatan BUMDes.")),
			"errors": array(ref("KMPRowError")),
		}),
		"KMPRowError": object([]string{"row", "field", "message"}, jsonObject{
			"row": integer("Baris (2 = baris data pertama)."), "field": str("Kolom."), "message": str("Pesan."),
		}),
	}
}
