package domain

// Indonesian labels for what users see on pages and in exports; the codes
// themselves stay the API's vocabulary.

// Label is how the action reads on a button or in a history line.
func (a Action) Label() string {
	switch a {
	case ActionSubmit:
		return "Ajukan"
	case ActionWithdraw:
		return "Tarik"
	case ActionApprove:
		return "Setujui"
	case ActionReturn:
		return "Kembalikan"
	case ActionReject:
		return "Tolak"
	case ActionAccept:
		return "Terima"
	case ActionDefer:
		return "Tunda"
	case ActionConsolidate:
		return "Konsolidasi"
	case ActionFund:
		return "Danai"
	case ActionDecline:
		return "Tidak didanai"
	case ActionMap:
		return "Petakan ke SIPD"
	}
	return string(a)
}

// Label is the category as planners name it.
func (c Category) Label() string {
	switch c {
	case "pelatihan":
		return "Pelatihan"
	case "bazar":
		return "Bazar/pameran"
	case "sarana_prasarana":
		return "Sarana dan prasarana"
	case "plut":
		return "PLUT-KUMKM"
	case "rumah_produksi":
		return "Rumah produksi bersama"
	case "pendampingan":
		return "Pendampingan"
	case "permodalan":
		return "Permodalan"
	case "bansos":
		return "Bantuan sosial"
	case "pendataan":
		return "Pendataan"
	case "lainnya":
		return "Lainnya"
	}
	return string(c)
}

// Label is the funding source as budgets name it.
func (f FundingSource) Label() string {
	switch f {
	case "apbd_kabkota":
		return "APBD Kabupaten/Kota"
	case "apbd_provinsi":
		return "APBD Provinsi"
	case "apbn_dekonsentrasi":
		return "APBN (Dekonsentrasi)"
	case "dak":
		return "DAK"
	case "dana_desa":
		return "Dana Desa"
	case "lainnya":
		return "Lainnya"
	}
	return string(f)
}

// Label is the office's name.
func (r Role) Label() string {
	switch r {
	case RolePerencanaKecamatan:
		return "Perencana Kecamatan"
	case RoleCamat:
		return "Camat"
	case RolePerencanaKabKota:
		return "Perencana Kab/Kota"
	case RoleReviewerKabKota:
		return "Kabid Kab/Kota (Reviewer)"
	case RoleKadisKabKota:
		return "Kepala Dinas Kab/Kota"
	case RolePerencanaProvinsi:
		return "Perencana Provinsi"
	case RoleKadisProvinsi:
		return "Kepala Dinas Provinsi"
	case RolePenghubungKementrian:
		return "Penghubung Kementerian"
	case RoleAdmin:
		return "Administrator"
	case RolePKK:
		return "TP PKK Kecamatan"
	case RoleOperatorData:
		return "Operator Data Koperasi"
	case RoleSatgasKMP:
		return "Satgas Koperasi Merah Putih"
	case RoleOperatorDesa:
		return "Operator Desa/Kelurahan"
	}
	return string(r)
}
