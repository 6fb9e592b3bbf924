package domain

import (
	"strings"
	"time"
)

// Role is an office a user holds within a region scope.
type Role string

// The roles of docs/ARCHITECTURE.md.
const (
	RolePerencanaKecamatan   Role = "perencana_kecamatan"
	RoleCamat                Role = "camat"
	RolePerencanaKabKota     Role = "perencana_kabkota"
	RoleReviewerKabKota      Role = "reviewer_kabkota"
	RoleKadisKabKota         Role = "kadis_kabkota"
	RolePerencanaProvinsi    Role = "perencana_provinsi"
	RoleKadisProvinsi        Role = "kadis_provinsi"
	RolePenghubungKementrian Role = "penghubung_kementerian"
	RoleAdmin                Role = "admin"
	// RolePKK is the TP PKK of a kecamatan: it reads the kecamatan's
	// proposals (and will comment on them once proposals have comments).
	RolePKK Role = "pkk"
	// RoleOperatorData keeps a kab/kota's koperasi register and UMKM
	// figures and submits its yearly data round (DESIGN.md, "Beyond
	// proposals"; Sultra's ODS operators).
	RoleOperatorData Role = "operator_data"
	// RoleSatgasKMP is the Koperasi Merah Putih task force of a kab/kota
	// or a province: starts KMP formation and hears of late desa last.
	RoleSatgasKMP Role = "satgas_kmp"
	// RoleOperatorDesa is the desa/kelurahan office's operator who records
	// its KMP milestones.
	RoleOperatorDesa Role = "operator_desa"
)

// Roles lists every role.
var Roles = []Role{
	RolePerencanaKecamatan, RoleCamat, RolePerencanaKabKota, RoleReviewerKabKota,
	RoleKadisKabKota, RolePerencanaProvinsi, RoleKadisProvinsi, RolePenghubungKementrian, RoleAdmin, RolePKK,
	RoleOperatorData,
	RoleSatgasKMP, RoleOperatorDesa,
}

// ValidRole reports whether r is one of Roles.
func ValidRole(r Role) bool {
	for _, x := range Roles {
		if x == r {
			return true
		}
	}
	return false
}

// ScopeLevel is the region level a role's scope usually has (the first of
// ScopeLevels); 0 means national.
func (r Role) ScopeLevel() RegionLevel {
	return r.ScopeLevels()[0]
}

// ScopeLevels are the region levels a grant of r may be scoped to, the
// usual one first: a KMP task force is formed by a kab/kota or by a
// province, every other role has one level; [0] means national.
func (r Role) ScopeLevels() []RegionLevel {
	switch r {
	case RoleSatgasKMP:
		return []RegionLevel{LevelKabKota, LevelProvinsi}
	case RoleOperatorDesa:
		return []RegionLevel{LevelDesa}
	}
	return []RegionLevel{r.singleScopeLevel()}
}

// AcceptsScope reports whether a grant of r may be scoped to a region of
// level lvl (0: the national scope).
func (r Role) AcceptsScope(lvl RegionLevel) bool {
	for _, l := range r.ScopeLevels() {
		if l == lvl {
			return true
		}
	}
	return false
}

func (r Role) singleScopeLevel() RegionLevel {
	switch r {
	case RolePerencanaKecamatan, RoleCamat, RolePKK:
		return LevelKecamatan
	case RolePerencanaKabKota, RoleReviewerKabKota, RoleKadisKabKota, RoleOperatorData:
		return LevelKabKota
	case RolePerencanaProvinsi, RoleKadisProvinsi:
		return LevelProvinsi
	}
	return 0
}

// Grant gives a user a role within a region scope, optionally only for a
// while: that is how a kepala dinas delegates part of an authority.
type Grant struct {
	Role       Role       `json:"role"`
	Scope      string     `json:"scope"`
	ValidFrom  *time.Time `json:"valid_from"`
	ValidUntil *time.Time `json:"valid_until"`
	// Actions, when not empty, limits the grant to these actions of the
	// role (and reading): a kepala dinas's delegation of part of his
	// authority, which may also reach below the role's usual scope level
	// (a kadis kab/kota's review of one kecamatan, delegated to its camat).
	Actions []string `json:"actions,omitempty"`
}

// ActiveAt reports whether the grant is in force at t: valid_from inclusive,
// valid_until exclusive.
func (g Grant) ActiveAt(t time.Time) bool {
	if g.ValidFrom != nil && t.Before(*g.ValidFrom) {
		return false
	}
	if g.ValidUntil != nil && !t.Before(*g.ValidUntil) {
		return false
	}
	return true
}

// Actor is who does something, and in which role and scope; it is recorded
// with every transition.
type Actor struct {
	Username string `json:"username"`
	Role     Role   `json:"role"`
	Scope    string `json:"scope"`
}

// scopeExamples say, per level, what a grant's scope must look like.
var scopeExamples = map[RegionLevel]string{
	LevelProvinsi:  "kode provinsi, misalnya 74",
	LevelKabKota:   "kode kabupaten/kota, misalnya 74.05",
	LevelKecamatan: "kode kecamatan, misalnya 74.05.03",
	LevelDesa:      "kode desa/kelurahan, misalnya 74.05.03.2001",
}

// ScopeHint tells the user, in Bahasa Indonesia, what scope a grant of r
// needs ("kode kabupaten/kota, misalnya 74.05 atau kode provinsi, ...").
func (r Role) ScopeHint() string {
	var parts []string
	for _, l := range r.ScopeLevels() {
		parts = append(parts, scopeExamples[l])
	}
	return strings.Join(parts, " atau ")
}
