package workflows

import (
	"fmt"
	"strings"
	"time"

	"github.com/rencana-id/rencana/activities"
	"github.com/rencana-id/rencana/internal/domain"
)

// The rules of a cycle as pure functions of its state, the request and the
// workflow clock, like rules.go for proposals: validators call them and a
// refused Update leaves no trace in history.

// maxAgreementLength bounds one kesepakatan; a berita acara resolution is a
// paragraph, not a document.
const maxAgreementLength = 4000

// checkCycleCreate validates the create Update. A cycle for fiscal year N
// is opened in year N-1 (by the workflow clock) and every date of its
// calendar lies in N-1, in order.
func checkCycleCreate(st *CycleState, province string, fy int, req CreateCycleRequest, now time.Time) *domain.Error {
	if st.Created {
		return domain.Errorf(domain.ECONFLICT, "Siklus provinsi %s tahun anggaran %d sudah ada.", province, fy)
	}
	if req.ProvinceCode != province || req.FiscalYear != fy {
		return domain.Errorf(domain.EINVALID, "Permintaan untuk provinsi %s tahun %d dikirim ke siklus %s.", req.ProvinceCode, req.FiscalYear, CycleWorkflowID(province, fy))
	}
	if err := checkActor(req.Actor, province); err != nil {
		return err
	}
	var v domain.Validation
	if lvl, err := domain.ParseRegionCode(province); err != nil || lvl != domain.LevelProvinsi {
		v.Add("province_code", "Kode provinsi %q tidak valid (contoh: 74).", province)
	}
	if y := now.UTC().Year(); y != fy-1 {
		v.Add("fiscal_year", "Siklus tahun anggaran %d dibuka pada tahun %d (N-1); sekarang tahun %d.", fy, fy-1, y)
	}
	if err := req.Calendar.Validate(fy); err != nil {
		addFields(&v, err)
	}
	checkCeilingList(&v, &CycleState{Cycle: domain.CycleDetail{Cycle: domain.Cycle{ProvinceCode: province}}}, req.Ceilings)
	checkTargetList(&v, req.Targets)
	return asDomain(v.Err())
}

// checkCycleChange is what every change after creation needs: the cycle
// exists, the caller saw its current version (when it says so), and the
// actor is known and within the province.
func checkCycleChange(st *CycleState, actor domain.Actor, expectedVersion int64) *domain.Error {
	if !st.Created {
		return domain.Errorf(domain.ENOTFOUND, "Siklus belum dibuat.")
	}
	if expectedVersion != 0 && expectedVersion != st.Cycle.Version {
		return domain.Errorf(domain.EPRECONDITION, "Siklus telah berubah (versi %d, bukan %d); muat ulang lalu coba lagi.", st.Cycle.Version, expectedVersion)
	}
	return checkActor(actor, st.Cycle.ProvinceCode)
}

// frozen refuses what a lock freezes, once the lock has started.
func frozen(st *CycleState, locking bool, what string) *domain.Error {
	switch {
	case st.Cycle.Locked:
		return domain.Errorf(domain.ECONFLICT, "Siklus %s sudah dikunci: %s.", st.Cycle.ID, what)
	case locking:
		return domain.Errorf(domain.ECONFLICT, "Siklus %s sedang dikunci: %s.", st.Cycle.ID, what)
	}
	return nil
}

func checkActor(actor domain.Actor, province string) *domain.Error {
	if actor.Username == "" {
		return domain.Errorf(domain.EFORBIDDEN, "Pelaku aksi tidak dikenal.")
	}
	if actor.Scope != "" && !domain.ScopeCovers(actor.Scope, province) {
		return domain.Errorf(domain.EFORBIDDEN, "Provinsi %s di luar cakupan %s.", province, actor.Scope)
	}
	return nil
}

// checkMoveCalendar validates a calendar move: the N-1 rule again on the
// moved calendar, and, once the cycle is locked, no move of Rakorda or of
// the consolidation deadline (that would reopen decisions already sent to
// the ministry).
func checkMoveCalendar(st *CycleState, req MoveCalendarRequest) *domain.Error {
	if err := checkCycleChange(st, req.Actor, req.ExpectedVersion); err != nil {
		return err
	}
	old := st.Cycle.Calendar
	cal := req.Calendar.Apply(old)
	if st.Cycle.Locked && (!cal.RakordaStart.Equal(old.RakordaStart) || !cal.RakordaEnd.Equal(old.RakordaEnd) ||
		!cal.ConsolidationDeadline.Equal(old.ConsolidationDeadline)) {
		return domain.Errorf(domain.ECONFLICT, "Siklus sudah dikunci: jadwal Rakorda dan batas konsolidasi tidak dapat diubah lagi.")
	}
	return asDomain(cal.Validate(st.Cycle.FiscalYear))
}

// checkSetCeilings validates a replacement of the ceilings.
func checkSetCeilings(st *CycleState, req SetCeilingsRequest, locking bool) *domain.Error {
	if err := checkCycleChange(st, req.Actor, req.ExpectedVersion); err != nil {
		return err
	}
	if err := frozen(st, locking, "pagu indikatif tidak dapat diubah lagi"); err != nil {
		return err
	}
	var v domain.Validation
	checkCeilingList(&v, st, req.Ceilings)
	return asDomain(v.Err())
}

// checkCeilingList checks ceilings for st's province: each for the
// province itself or one of its kab/kota, once, more than 0, and not below
// what is already consolidated there.
func checkCeilingList(v *domain.Validation, st *CycleState, ceilings []domain.Ceiling) {
	province := st.Cycle.ProvinceCode
	seen := map[string]bool{}
	for i, c := range ceilings {
		field := fmt.Sprintf("ceilings[%d]", i)
		lvl, err := domain.ParseRegionCode(c.RegionCode)
		switch {
		case err != nil || lvl > domain.LevelKabKota || domain.RegionProvince(c.RegionCode) != province:
			v.Add(field+".region_code", "Pagu indikatif hanya untuk provinsi %s atau salah satu kab/kotanya; %q tidak termasuk.", province, c.RegionCode)
			continue
		case seen[c.RegionCode]:
			v.Add(field+".region_code", "Pagu indikatif untuk %s disebut lebih dari sekali.", c.RegionCode)
			continue
		}
		seen[c.RegionCode] = true
		if c.AmountIDR <= 0 {
			v.Add(field+".amount_idr", "Pagu indikatif harus lebih dari 0 rupiah; hapus barisnya bila tanpa pagu.")
		} else if used := consumed(st, c.RegionCode, ""); c.AmountIDR < used {
			fe := domain.CeilingBelowUse(field+".amount_idr", c.RegionCode, c.AmountIDR, used)
			v.Add(fe.Field, "%s", fe.Message)
		}
	}
}

// checkSetTargets validates a replacement of the targets.
func checkSetTargets(st *CycleState, req SetTargetsRequest) *domain.Error {
	if err := checkCycleChange(st, req.Actor, req.ExpectedVersion); err != nil {
		return err
	}
	var v domain.Validation
	checkTargetList(&v, req.Targets)
	return asDomain(v.Err())
}

func checkTargetList(v *domain.Validation, targets []domain.Target) {
	seen := map[string]bool{}
	for i, t := range targets {
		prefix := fmt.Sprintf("targets[%d]", i)
		t.Validate(v, prefix)
		code := strings.TrimSpace(t.Code)
		if code != "" && seen[code] {
			v.Add(prefix+".code", "Kode target %q disebut lebih dari sekali.", code)
		}
		seen[code] = true
	}
}

// checkRakordaRecord is the window in which the session's agreements and
// attendance may be recorded: from the opening of Rakorda until the cycle
// is locked, so the secretary can finish the berita acara after the last
// session day but not after the list has gone to the ministry.
func checkRakordaRecord(st *CycleState, actor domain.Actor, expectedVersion int64, now time.Time, locking bool) *domain.Error {
	if err := checkCycleChange(st, actor, expectedVersion); err != nil {
		return err
	}
	if now.Before(st.Cycle.Calendar.RakordaStart) {
		return domain.Errorf(domain.ECONFLICT, "Rakorda belum dibuka (mulai %s); kesepakatan dan daftar hadir belum dapat dicatat.", day(st.Cycle.Calendar.RakordaStart))
	}
	if err := frozen(st, locking, "berita acara Rakorda tidak dapat diubah lagi"); err != nil {
		return err
	}
	return nil
}

func checkAgreements(st *CycleState, req RecordAgreementsRequest, now time.Time, locking bool) *domain.Error {
	if err := checkRakordaRecord(st, req.Actor, req.ExpectedVersion, now, locking); err != nil {
		return err
	}
	var v domain.Validation
	for i, a := range req.Agreements {
		a = strings.TrimSpace(a)
		switch {
		case a == "":
			v.Add(fmt.Sprintf("agreements[%d]", i), "Kesepakatan nomor %d kosong.", i+1)
		case len(a) > maxAgreementLength:
			v.Add(fmt.Sprintf("agreements[%d]", i), "Kesepakatan nomor %d terlalu panjang (paling banyak %d karakter).", i+1, maxAgreementLength)
		}
	}
	return asDomain(v.Err())
}

func checkAttendance(st *CycleState, req RecordAttendanceRequest, now time.Time, locking bool) *domain.Error {
	if err := checkRakordaRecord(st, req.Actor, req.ExpectedVersion, now, locking); err != nil {
		return err
	}
	var v domain.Validation
	for i, a := range req.Attendance {
		if strings.TrimSpace(a.Name) == "" {
			v.Add(fmt.Sprintf("attendance[%d].name", i), "Nama peserta wajib diisi.")
		}
		if a.RegionCode != "" {
			if _, err := domain.ParseRegionCode(a.RegionCode); err != nil {
				v.Add(fmt.Sprintf("attendance[%d].region_code", i), "Kode wilayah %q tidak valid.", a.RegionCode)
			}
		}
	}
	return asDomain(v.Err())
}

// ceilingOf returns the ceiling set for region, if any.
func ceilingOf(st *CycleState, region string) (int64, bool) {
	for _, c := range st.Cycle.Ceilings {
		if c.RegionCode == region {
			return c.AmountIDR, true
		}
	}
	return 0, false
}

// consumed is the sum of the consolidated amounts reserved in region,
// leaving out the proposal except (whose new amount replaces its old one).
func consumed(st *CycleState, region, except string) int64 {
	var sum int64
	for id, r := range st.Reservations {
		if r.RegionCode == region && id != except {
			sum += r.AmountIDR
		}
	}
	return sum
}

// checkReserve decides whether a proposal's consolidated amount fits its
// ceiling, and refuses with the figures when it does not.
func checkReserve(st *CycleState, r activities.CeilingReservation, locking bool) *domain.Error {
	if !st.Created {
		return domain.Errorf(domain.ENOTFOUND, "Siklus belum dibuat.")
	}
	if err := frozen(st, locking, "konsolidasi tidak dapat diubah lagi"); err != nil {
		return err
	}
	if r.ProposalID == "" || domain.RegionProvince(r.RegionCode) != st.Cycle.ProvinceCode {
		return domain.Errorf(domain.EINVALID, "Usulan %q (%s) tidak termasuk siklus %s.", r.ProposalID, r.RegionCode, st.Cycle.ID)
	}
	if r.AmountIDR < 0 {
		return asDomain(fieldError("consolidated_amount_idr", "Pagu konsolidasi tidak boleh negatif."))
	}
	region := domain.RegionKabKota(r.RegionCode)
	ceiling, ok := ceilingOf(st, region)
	if !ok {
		return nil
	}
	used := consumed(st, region, r.ProposalID)
	if used+r.AmountIDR <= ceiling {
		return nil
	}
	return domain.CeilingExceeded(r.AmountIDR, region, ceiling, used)
}

// applyReserve records r in st and answers with the figures after it.
func applyReserve(st *CycleState, r activities.CeilingReservation) activities.ReserveResult {
	if st.Reservations == nil {
		st.Reservations = map[string]Reservation{}
	}
	region := domain.RegionKabKota(r.RegionCode)
	st.Reservations[r.ProposalID] = Reservation{RegionCode: region, AmountIDR: r.AmountIDR}
	ceiling, _ := ceilingOf(st, region)
	return activities.ReserveResult{Checked: true, RegionCode: region, CeilingIDR: ceiling, ConsumedIDR: consumed(st, region, "")}
}

// checkCycleLock decides whether the lock may start: the cycle exists, is
// not locked or locking, and Rakorda has ended (a proposal still on the
// agenda could otherwise reach consolidation after the list has gone).
// Whether every proposal in consolidation is consolidated is read from the
// projection by the handler.
func checkCycleLock(st *CycleState, req LockCycleRequest, now time.Time, locking bool) *domain.Error {
	if err := checkCycleChange(st, req.Actor, 0); err != nil {
		return err
	}
	if st.Cycle.Locked {
		return domain.Errorf(domain.ECONFLICT, "Siklus %s sudah dikunci oleh %s.", st.Cycle.ID, st.Cycle.LockedBy)
	}
	if locking {
		return domain.Errorf(domain.ECONFLICT, "Penguncian siklus %s sedang berjalan.", st.Cycle.ID)
	}
	if !now.After(st.Cycle.Calendar.RakordaEnd) {
		return domain.Errorf(domain.ECONFLICT, "Rakorda belum selesai (berakhir %s); hasil konsolidasi belum dapat dikunci.", day(st.Cycle.Calendar.RakordaEnd))
	}
	return nil
}

// unconsolidatedError refuses a lock while proposals in consolidation are
// not consolidated: the message names the first few, the field errors name
// every one (field "proposals.<id>").
func unconsolidatedError(refs []domain.ProposalRef) *domain.Error {
	const shown = 10
	ids := make([]string, 0, shown)
	fields := make([]domain.FieldError, len(refs))
	for i, r := range refs {
		if i < shown {
			ids = append(ids, r.ID)
		}
		fields[i] = domain.FieldError{Field: "proposals." + r.ID,
			Message: fmt.Sprintf("Usulan %s %q (%s) belum dikonsolidasi.", r.ID, r.Title, r.RegionCode)}
	}
	list := strings.Join(ids, ", ")
	if len(refs) > shown {
		list += fmt.Sprintf(" dan %d lainnya", len(refs)-shown)
	}
	return &domain.Error{Code: domain.ECONFLICT, Fields: fields,
		Message: fmt.Sprintf("Siklus belum dapat dikunci: %d usulan pada tahap %s belum dikonsolidasi (%s).", len(refs), domain.StageConsolidation.Label(), list)}
}

// lockFailedError refuses to mark the cycle locked when some consolidated
// proposals could not be moved; the ones that were moved stay moved and a
// new lock skips them.
func lockFailedError(failed []activities.LockFailure) *domain.Error {
	fields := make([]domain.FieldError, len(failed))
	for i, f := range failed {
		fields[i] = domain.FieldError{Field: "proposals." + f.ProposalID, Message: f.Message}
	}
	return &domain.Error{Code: domain.ECONFLICT, Fields: fields,
		Message: fmt.Sprintf("%d usulan terkonsolidasi gagal dipindahkan ke tahap %s; siklus belum dikunci. Periksa usulan tersebut lalu kunci lagi.", len(failed), domain.StageMinistry.Label())}
}

// addFields copies the field errors of a validation error into v.
func addFields(v *domain.Validation, err error) {
	if de, ok := err.(*domain.Error); ok {
		for _, f := range de.Fields {
			v.Add(f.Field, "%s", f.Message)
		}
	}
}

func fieldError(field, msg string) error {
	var v domain.Validation
	v.Add(field, "%s", msg)
	return v.Err()
}
