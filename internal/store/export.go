package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"iter"
	"slices"
	"strings"
	"time"

	"github.com/rencana-id/rencana/internal/domain"
)

// ExportStages are the stages whose proposals make up the consolidated list:
// every proposal that reached consolidation, including those the ministry
// declined. Declined proposals stay on the list because the list is also the
// ministry liaison's record of what was asked and what was answered; their
// tahapan column says "declined", and the consolidated amounts they carry
// were really requested by the province, so subtotals count them.
var ExportStages = []domain.Stage{
	domain.StageConsolidation, domain.StageMinistry, domain.StageSIPDMapping,
	domain.StageFinal, domain.StageDeclined,
}

// ConsolidatedQuery selects the consolidated list of one cycle (a province's
// fiscal year, CycleID) or of every cycle of a fiscal year across provinces
// (FiscalYear). Exactly one of the two is set.
type ConsolidatedQuery struct {
	CycleID    string
	FiscalYear int
}

// ConsolidatedRow is one proposal of the consolidated list with everything
// the export shows next to it: region names for its province, kab/kota and
// kecamatan, the name of its sub kegiatan in the nomenclature version in
// force for its fiscal year, and the Rakorda decision from its audit trail.
type ConsolidatedRow struct {
	ProvinceCode  string
	ProvinceName  string
	KabKotaCode   string // "" for a provincial proposal
	KabKotaName   string
	KecamatanCode string // "" unless drafted by a kecamatan
	KecamatanName string
	CycleID       string
	FiscalYear    int

	ProposalID            string
	Title                 string
	Category              domain.Category
	SIPDCode              string
	SubKegiatanName       string // "" when the code is empty or not in the version in force
	Indicators            []domain.Indicator
	AmountIDR             int64
	Consolidated          bool
	ConsolidatedAmountIDR int64
	FundingSource         domain.FundingSource
	Priority              int
	Stage                 domain.Stage
	// RakordaAction is the action of the latest Rakorda decision recorded
	// for the proposal (accept, defer or reject), "" if none is recorded.
	RakordaAction domain.Action
	// Issue 18: the register ids of the koperasi the proposal serves.
	BeneficiariesKoperasi []string
	// The dossier (issue 21).
	Number    string
	Origin    domain.Origin
	Locations []string
	RAB       []domain.RABLine
}

// ProgramCode is the program segment of the row's sub kegiatan code
// ("2.17.07" of "2.17.07.2.01.0003"), "" without a code; the list is grouped
// by it.
func (r ConsolidatedRow) ProgramCode() string {
	if len(r.SIPDCode) < len("2.17.07") {
		return ""
	}
	return r.SIPDCode[:len("2.17.07")]
}

func (q ConsolidatedQuery) validate() error {
	var v domain.Validation
	switch {
	case q.CycleID == "" && q.FiscalYear == 0:
		v.Add("cycle_id", "Pilih satu siklus (cycle_id) atau satu tahun anggaran (fiscal_year).")
	case q.CycleID != "" && q.FiscalYear != 0:
		v.Add("cycle_id", "Gunakan cycle_id atau fiscal_year, tidak keduanya.")
	case q.CycleID == "" && (q.FiscalYear < 1900 || q.FiscalYear > 9999):
		v.Add("fiscal_year", "Tahun anggaran %d tidak valid.", q.FiscalYear)
	}
	return v.Err()
}

// consolidatedSQL is one statement, so the list is a consistent snapshot in
// both engines however long the caller takes to consume it. The kab/kota and
// kecamatan codes are prefixes of the proposal's region code; the
// nomenclature version is the newest valid from the cycle's fiscal year or
// before (as in NomenclatureVersionFor); the Rakorda decision is the latest
// accept/defer/reject that left the rakorda stage. The sort keys are plain
// expressions of the proposal row: proposals without a SIPD code after the
// mapped programs, and within a program consolidated proposals by their
// priority rank, those not yet consolidated (priority 0) after them.
const consolidatedSQL = `
SELECT p.id, p.cycle_id, c.fiscal_year, c.province_code, p.region_code, p.title, p.category,
       p.sipd_code, p.indicators, p.amount_idr, p.consolidated, p.consolidated_amount_idr,
       p.funding_source, p.priority, p.stage,
       COALESCE(prov.name, ''), COALESCE(kab.name, ''), COALESCE(kec.name, ''), COALESCE(n.name, ''),
       COALESCE((SELECT e.action FROM proposal_events e
                 WHERE e.proposal_id = p.id AND e.from_stage = 'rakorda' AND e.action IN ('accept', 'defer', 'reject')
                 ORDER BY e.seq DESC LIMIT 1), ''),
       p.beneficiaries_koperasi,
       p.number, p.origin, p.locations, p.rab
FROM proposals p
JOIN cycles c ON c.id = p.cycle_id
LEFT JOIN regions prov ON prov.code = c.province_code
LEFT JOIN regions kab ON LENGTH(p.region_code) >= 5 AND kab.code = SUBSTR(p.region_code, 1, 5)
LEFT JOIN regions kec ON LENGTH(p.region_code) >= 8 AND kec.code = SUBSTR(p.region_code, 1, 8)
LEFT JOIN nomenclature n ON n.code = p.sipd_code AND n.level = 'sub_kegiatan'
     AND n.version_id = (SELECT v.id FROM nomenclature_versions v WHERE v.valid_from_year <= c.fiscal_year
                         ORDER BY v.valid_from_year DESC LIMIT 1)
WHERE p.stage IN ? AND %s
ORDER BY c.province_code,
         CASE WHEN LENGTH(p.region_code) >= 5 THEN SUBSTR(p.region_code, 1, 5) ELSE '' END,
         CASE WHEN p.sipd_code = '' THEN 1 ELSE 0 END, SUBSTR(p.sipd_code, 1, 7),
         CASE WHEN p.consolidated THEN 0 ELSE 1 END, p.priority, p.id`

// ConsolidatedRows streams the consolidated list selected by q (see
// ExportStages), ordered by province, kab/kota (provincial proposals
// first), program (unmapped last) and priority. Rows are read one at a time
// from the database, so memory does not grow with the list. The loop body
// must not use db: on SQLite the export holds the only connection until the
// loop ends (breaking out of the loop releases it). An invalid query is
// EINVALID; an unknown cycle simply yields no rows.
func (db *DB) ConsolidatedRows(ctx context.Context, q ConsolidatedQuery) iter.Seq2[ConsolidatedRow, error] {
	return func(yield func(ConsolidatedRow, error) bool) {
		if err := q.validate(); err != nil {
			yield(ConsolidatedRow{}, err)
			return
		}
		stages := make([]string, len(ExportStages))
		for i, s := range ExportStages {
			stages[i] = string(s)
		}
		where, arg := "p.cycle_id = ?", any(q.CycleID)
		if q.CycleID == "" {
			where, arg = "c.fiscal_year = ?", any(q.FiscalYear)
		}
		rows, err := db.orm.WithContext(ctx).Raw(fmt.Sprintf(consolidatedSQL, where), stages, arg).Rows()
		if err != nil {
			yield(ConsolidatedRow{}, fmt.Errorf("consolidated list: %w", err))
			return
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanConsolidated(rows)
			if err != nil {
				yield(ConsolidatedRow{}, err)
				return
			}
			if !yield(r, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(ConsolidatedRow{}, fmt.Errorf("consolidated list: %w", err))
		}
	}
}

func scanConsolidated(rows *sql.Rows) (ConsolidatedRow, error) {
	var (
		r                                       ConsolidatedRow
		region, category, indicators, fs, stage string
		rakorda, koperasi                       string
		origin, locations, rab                  string
	)
	err := rows.Scan(&r.ProposalID, &r.CycleID, &r.FiscalYear, &r.ProvinceCode, &region, &r.Title, &category,
		&r.SIPDCode, &indicators, &r.AmountIDR, &r.Consolidated, &r.ConsolidatedAmountIDR,
		&fs, &r.Priority, &stage,
		&r.ProvinceName, &r.KabKotaName, &r.KecamatanName, &r.SubKegiatanName, &rakorda, &koperasi,
		&r.Number, &origin, &locations, &rab)
	if err != nil {
		return r, fmt.Errorf("scan consolidated row: %w", err)
	}
	if len(region) >= len("74.05") {
		r.KabKotaCode = region[:len("74.05")]
	}
	if len(region) >= len("74.05.03") {
		r.KecamatanCode = region[:len("74.05.03")]
	}
	r.Category, r.FundingSource, r.Stage, r.RakordaAction = domain.Category(category), domain.FundingSource(fs), domain.Stage(stage), domain.Action(rakorda)
	if err := json.Unmarshal([]byte(indicators), &r.Indicators); err != nil {
		return r, fmt.Errorf("decode indicators of %s: %w", r.ProposalID, err)
	}
	ids, err := decodeKoperasiIDs(koperasi)
	if err != nil {
		return r, fmt.Errorf("decode beneficiaries_koperasi of %s: %w", r.ProposalID, err)
	}
	if len(ids) > 0 { // nil when none, as before issue 18
		r.BeneficiariesKoperasi = ids
	}
	r.Origin = domain.Origin(origin)
	if err := json.Unmarshal([]byte(locations), &r.Locations); err != nil {
		return r, fmt.Errorf("decode locations of %s: %w", r.ProposalID, err)
	}
	if err := json.Unmarshal([]byte(rab), &r.RAB); err != nil {
		return r, fmt.Errorf("decode rab of %s: %w", r.ProposalID, err)
	}
	// nil when none, like the beneficiaries above: a row without a dossier
	// reads as before issue 21.
	if len(r.Locations) == 0 {
		r.Locations = nil
	}
	if len(r.RAB) == 0 {
		r.RAB = nil
	}
	return r, nil
}

// CycleEvents streams the audit trail of every proposal of a cycle, oldest
// first (by time, then proposal and seq, so equal times keep a stable
// order). Like ConsolidatedRows it reads one row at a time and the loop body
// must not use db. An unknown cycle yields no rows.
func (db *DB) CycleEvents(ctx context.Context, cycleID string) iter.Seq2[domain.ProposalEvent, error] {
	return func(yield func(domain.ProposalEvent, error) bool) {
		rows, err := db.orm.WithContext(ctx).Raw(`
			SELECT e.proposal_id, e.seq, e.action, e.from_stage, e.to_stage, e.actor, e.actor_role,
			       e.actor_scope, e.comment, e.payload, e.at
			FROM proposal_events e JOIN proposals p ON p.id = e.proposal_id
			WHERE p.cycle_id = ?
			ORDER BY e.at, e.proposal_id, e.seq`, cycleID).Rows()
		if err != nil {
			yield(domain.ProposalEvent{}, fmt.Errorf("cycle events: %w", err))
			return
		}
		defer rows.Close()
		for rows.Next() {
			var r proposalEventRow
			// ScanRows decodes the timestamp the same way in both engines
			// (SQLite stores DATETIME as text).
			if err := db.orm.ScanRows(rows, &r); err != nil {
				yield(domain.ProposalEvent{}, fmt.Errorf("scan cycle event: %w", err))
				return
			}
			if !yield(r.event(), nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(domain.ProposalEvent{}, fmt.Errorf("cycle events: %w", err))
		}
	}
}

func (r proposalEventRow) event() domain.ProposalEvent {
	return domain.ProposalEvent{
		ProposalID: r.ProposalID, Seq: r.Seq, Action: r.Action, FromStage: domain.Stage(r.FromStage),
		ToStage: domain.Stage(r.ToStage), Comment: r.Comment, Payload: json.RawMessage(r.Payload), At: r.At.UTC(),
		Actor: domain.Actor{Username: r.Actor, Role: domain.Role(r.ActorRole), Scope: r.ActorScope},
	}
}

// ProposalStage is a proposal's current stage and cycle, for checks that
// need no more than that (a bulk upload naming thousands of proposals).
type ProposalStage struct {
	ID        string
	CycleID   string
	Stage     domain.Stage
	UpdatedAt time.Time
}

// ProposalStages returns the stage of each of ids that exists, keyed by id,
// with one query per 500 ids.
func (db *DB) ProposalStages(ctx context.Context, ids []string) (map[string]ProposalStage, error) {
	out := make(map[string]ProposalStage, len(ids))
	uniq := slices.Compact(slices.Sorted(slices.Values(ids)))
	for chunk := range slices.Chunk(uniq, 500) {
		var rows []struct {
			ID        string
			CycleID   string
			Stage     string
			UpdatedAt time.Time
		}
		if err := db.orm.WithContext(ctx).Model(&proposalRow{}).Select("id, cycle_id, stage, updated_at").
			Where("id IN ?", chunk).Scan(&rows).Error; err != nil {
			return nil, fmt.Errorf("proposal stages: %w", err)
		}
		for _, r := range rows {
			out[r.ID] = ProposalStage{ID: r.ID, CycleID: r.CycleID, Stage: domain.Stage(r.Stage), UpdatedAt: r.UpdatedAt.UTC()}
		}
	}
	return out, nil
}

// NomenclatureOfVersion returns the rows of one version that serve pemda
// (its own rows and the shared "both" ones), ordered by code; "" returns
// every row. SIPD suggestions rank the sub kegiatan among them and describe
// each with its kegiatan and program.
func (db *DB) NomenclatureOfVersion(ctx context.Context, versionID int64, pemda domain.PemdaLevel) ([]NomenclatureRow, error) {
	tx := db.orm.WithContext(ctx).Where("version_id = ?", versionID)
	if pemda != "" {
		tx = tx.Where("pemda_level IN ?", []string{string(pemda), string(PemdaBoth)})
	}
	var rows []nomenclatureRow
	if err := tx.Order("code").Order("pemda_level").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("nomenclature of version %d: %w", versionID, err)
	}
	out := make([]NomenclatureRow, len(rows))
	for i, r := range rows {
		out[i] = r.row()
	}
	return out, nil
}

// NomenclatureVersionsWithCode returns the versions, oldest first, that hold
// code at level, so a refusal can tell "this code belongs to another
// version" from "this code does not exist".
func (db *DB) NomenclatureVersionsWithCode(ctx context.Context, code string, level NomenclatureLevel) ([]NomenclatureVersion, error) {
	var rows []nomenclatureVersionRow
	err := db.orm.WithContext(ctx).
		Where("id IN (?)", db.orm.Model(&nomenclatureRow{}).Select("version_id").Where("code = ? AND level = ?", strings.TrimSpace(code), string(level))).
		Order("valid_from_year").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("versions with code %s: %w", code, err)
	}
	out := make([]NomenclatureVersion, len(rows))
	for i, r := range rows {
		out[i] = r.version()
	}
	return out, nil
}
