package store

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/rencana-id/rencana/internal/domain"
)

// AgendaGroup is one kab/kota on the Rakorda agenda: its proposals and
// what they ask for in total, which is how the kepala dinas kab/kota
// presents them.
type AgendaGroup struct {
	KabKotaCode string            `json:"kabkota_code"`
	KabKotaName string            `json:"kabkota_name"`
	Proposals   []domain.Proposal `json:"proposals"`
	Count       int               `json:"count"`
	TotalIDR    int64             `json:"total_idr"`
}

// RakordaAgenda lists the proposals of a cycle waiting in stage rakorda,
// grouped by kab/kota (in code order) with each group's total of
// amount_idr, and the grand total.
type RakordaAgenda struct {
	CycleID  string        `json:"cycle_id"`
	Groups   []AgendaGroup `json:"groups"`
	Count    int           `json:"count"`
	TotalIDR int64         `json:"total_idr"`
}

// RakordaAgenda reads the agenda of a cycle's Rakorda. The caller decides
// from the cycle's calendar whether the session is open.
func (db *DB) RakordaAgenda(ctx context.Context, cycleID string) (RakordaAgenda, error) {
	if _, err := db.GetCycle(ctx, cycleID); err != nil {
		return RakordaAgenda{}, err
	}
	var rows []proposalRow
	if err := db.orm.WithContext(ctx).Where("cycle_id = ? AND stage = ?", cycleID, domain.StageRakorda).
		Order("region_code, id").Find(&rows).Error; err != nil {
		return RakordaAgenda{}, fmt.Errorf("rakorda agenda: %w", err)
	}
	agenda := RakordaAgenda{CycleID: cycleID, Groups: []AgendaGroup{}}
	byCode := map[string]int{}
	var codes []string
	for _, r := range rows {
		p, err := r.domain()
		if err != nil {
			return RakordaAgenda{}, err
		}
		k := domain.RegionKabKota(p.RegionCode)
		i, ok := byCode[k]
		if !ok {
			i = len(agenda.Groups)
			byCode[k] = i
			agenda.Groups = append(agenda.Groups, AgendaGroup{KabKotaCode: k})
			codes = append(codes, k)
		}
		g := &agenda.Groups[i]
		g.Proposals = append(g.Proposals, p)
		g.Count++
		g.TotalIDR += p.AmountIDR
		agenda.Count++
		agenda.TotalIDR += p.AmountIDR
	}
	names, err := db.regionNames(ctx, codes)
	if err != nil {
		return RakordaAgenda{}, err
	}
	for i := range agenda.Groups {
		agenda.Groups[i].KabKotaName = names[agenda.Groups[i].KabKotaCode]
	}
	sort.SliceStable(agenda.Groups, func(i, j int) bool { return agenda.Groups[i].KabKotaCode < agenda.Groups[j].KabKotaCode })
	return agenda, nil
}

// RakordaDecision is one decision the Rakorda took on a proposal: accept,
// defer or reject, by whom, when and why.
type RakordaDecision struct {
	ProposalID  string          `json:"proposal_id"`
	Title       string          `json:"title"`
	RegionCode  string          `json:"region_code"`
	RegionName  string          `json:"region_name"`
	KabKotaCode string          `json:"kabkota_code"`
	KabKotaName string          `json:"kabkota_name"`
	Category    domain.Category `json:"category"`
	AmountIDR   int64           `json:"amount_idr"`
	Decision    domain.Action   `json:"decision"`
	Comment     string          `json:"comment"`
	Actor       domain.Actor    `json:"actor"`
	At          time.Time       `json:"at"`
}

// RakordaRecord is everything the berita acara of a Rakorda states: the
// cycle (with its agreements and attendance), every decision taken, and
// what is still on the agenda undecided.
type RakordaRecord struct {
	Cycle        domain.CycleDetail `json:"cycle"`
	ProvinceName string             `json:"province_name"`
	Decisions    []RakordaDecision  `json:"decisions"`
	Undecided    RakordaAgenda      `json:"undecided"`
}

// decisionRow is what the decision query scans.
type decisionRow struct {
	ProposalID string
	Action     string
	Comment    string
	Actor      string
	ActorRole  string
	ActorScope string
	At         time.Time
	Title      string
	RegionCode string
	Category   string
	AmountIDR  int64 `gorm:"column:amount_idr"`
}

// RakordaRecord reads what the minutes of a cycle's Rakorda need, with the
// phase as of now. Decisions are ordered by kab/kota, region and proposal
// id, as the agenda was.
func (db *DB) RakordaRecord(ctx context.Context, cycleID string, now time.Time) (RakordaRecord, error) {
	d, err := db.GetCycleDetail(ctx, cycleID, now)
	if err != nil {
		return RakordaRecord{}, err
	}
	var rows []decisionRow
	err = db.orm.WithContext(ctx).Raw(`
		SELECT e.proposal_id, e.action, e.comment, e.actor, e.actor_role, e.actor_scope, e.at,
		       p.title, p.region_code, p.category, p.amount_idr
		FROM proposal_events e JOIN proposals p ON p.id = e.proposal_id
		WHERE p.cycle_id = ? AND e.from_stage = ? AND e.action IN (?, ?, ?)
		ORDER BY p.region_code, p.id, e.seq`,
		cycleID, domain.StageRakorda, domain.ActionAccept, domain.ActionDefer, domain.ActionReject).Scan(&rows).Error
	if err != nil {
		return RakordaRecord{}, fmt.Errorf("rakorda decisions: %w", err)
	}
	undecided, err := db.RakordaAgenda(ctx, cycleID)
	if err != nil {
		return RakordaRecord{}, err
	}
	codes := []string{d.ProvinceCode}
	for _, r := range rows {
		codes = append(codes, r.RegionCode, domain.RegionKabKota(r.RegionCode))
	}
	names, err := db.regionNames(ctx, codes)
	if err != nil {
		return RakordaRecord{}, err
	}
	rec := RakordaRecord{Cycle: d, ProvinceName: names[d.ProvinceCode], Decisions: []RakordaDecision{}, Undecided: undecided}
	for _, r := range rows {
		k := domain.RegionKabKota(r.RegionCode)
		rec.Decisions = append(rec.Decisions, RakordaDecision{
			ProposalID: r.ProposalID, Title: r.Title, RegionCode: r.RegionCode, RegionName: names[r.RegionCode],
			KabKotaCode: k, KabKotaName: names[k], Category: domain.Category(r.Category), AmountIDR: r.AmountIDR,
			Decision: domain.Action(r.Action), Comment: r.Comment, At: r.At.UTC(),
			Actor: domain.Actor{Username: r.Actor, Role: domain.Role(r.ActorRole), Scope: r.ActorScope},
		})
	}
	sort.SliceStable(rec.Decisions, func(i, j int) bool { return rec.Decisions[i].KabKotaCode < rec.Decisions[j].KabKotaCode })
	return rec, nil
}

// regionNames maps codes to region names; unknown codes are left out.
func (db *DB) regionNames(ctx context.Context, codes []string) (map[string]string, error) {
	out := map[string]string{}
	seen := map[string]bool{}
	var uniq []string
	for _, c := range codes {
		if c != "" && !seen[c] {
			seen[c] = true
			uniq = append(uniq, c)
		}
	}
	for len(uniq) > 0 {
		// Chunks keep the IN list within every engine's parameter limit.
		n := min(len(uniq), 500)
		var rows []regionRow
		if err := db.orm.WithContext(ctx).Where("code IN ?", uniq[:n]).Find(&rows).Error; err != nil {
			return nil, fmt.Errorf("region names: %w", err)
		}
		for _, r := range rows {
			out[r.Code] = r.Name
		}
		uniq = uniq[n:]
	}
	return out, nil
}
