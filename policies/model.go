package policies

import (
	_ "embed"
	"fmt"
	"strings"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"

	"github.com/rencana-id/rencana/internal/domain"
)

// ModelConf is the Casbin model (RBAC with region-scope domains); it is
// exported so tools and tests can load exactly what the Authorizer enforces.
//
//go:embed model.conf
var ModelConf string

// DefaultPolicy is the role × object × action × reach policy, seeded into
// casbin_rule at every start; exported so the API docs and tests can list it.
//
//go:embed policy.csv
var DefaultPolicy string

// Objects the API authorizes on. Proposal stage actions use StageObject.
const (
	// ObjProposal covers reading, creating and editing proposals.
	ObjProposal = "proposal"
	// ObjCycle covers planning cycles: create, update (move dates, set
	// ceilings and targets), lock, read (also its audit trail).
	ObjCycle = "cycle"
	// ObjRakorda is the provincial Rakorda: its agenda and minutes (read),
	// its agreements and attendance (record).
	ObjRakorda = "rakorda"
	// ObjConsolidation is the provincial consolidated list while it is built.
	ObjConsolidation = "consolidation"
	// ObjExports is the consolidated list as CSV/XLSX download.
	ObjExports = "exports"
	// ObjUsers is user administration.
	ObjUsers = "users"
	// ObjGrants is role grant and delegation administration.
	ObjGrants = "grants"
	// ObjReference is reference data: regions and SIPD nomenclature.
	ObjReference = "reference"
	// ObjTasks is a user's task inbox.
	ObjTasks = "tasks"
	// ObjBUMDes is the record of businesses village enterprises run, which
	// consolidation warns about; decided on the business's desa.
	ObjBUMDes = "bumdes"
	// ObjAudit is the security audit (logins, sessions, credentials,
	// grants): read by admin only.
	ObjAudit = "audit"
	// ObjCycleEvents is a cycle's own audit trail (calendar moves,
	// ceilings, targets, lock attempts), read apart from the cycle.
	ObjCycleEvents = "cycle_events"
	// ObjLockProgress is the progress of a cycle's lock.
	ObjLockProgress = "lock_progress"
	// ObjNotifications is a user's own notification centre: read the
	// list, update (mark read). Decided on "*": it holds only what was
	// addressed to the caller.
	ObjNotifications = "notifications"
	// ObjDelegations is a kepala dinas's delegation of named actions of
	// his role: create (decided on the delegated scope), read (one's own,
	// given or received).
	ObjDelegations = "delegations"
	// ObjRegister is the koperasi register and the UMKM figures of a
	// region: read, and manage (import, edit); decided on the koperasi's
	// desa, or the kab/kota of an import.
	ObjRegister = "register"
	// ObjDataRound is a kab/kota's yearly data round: read, open (the
	// province, with a due date) and the actions of domain.RoundTable;
	// decided on the kab/kota.
	ObjDataRound = "dataround"
	// ObjKMP is Koperasi Merah Putih formation: read, start (bulk),
	// record (a milestone), import (milestones in bulk).
	ObjKMP = "kmp"
)

// Actions on the non-stage objects; proposal stage actions are domain.Action
// values (domain.ActionSubmit, ...) on StageObject(stage).
const (
	ActRead     = "read"
	ActCreate   = "create"
	ActEdit     = "edit"
	ActUpdate   = "update"
	ActLock     = "lock"
	ActDownload = "download"
	ActManage   = "manage"
	ActImport   = "import"
	// ActRecord writes the Rakorda's berita acara: agreements and attendance.
	ActRecord = "record"
	// ActOpen opens a data round (or moves its due date).
	ActOpen = "open"
	// ActStart starts KMP formation in bulk.
	ActStart = "start"
)

// stageObjectPrefix starts the object of every proposal stage action.
const stageObjectPrefix = "proposal:"

// stageObjects avoids a string concatenation per CanStage call.
var stageObjects = func() map[domain.Stage]string {
	m := make(map[domain.Stage]string, len(domain.Stages))
	for _, s := range domain.Stages {
		m[s] = stageObjectPrefix + string(s)
	}
	return m
}()

// StageObject is the policy object of the actions a proposal admits in stage
// s ("proposal:kabkota_review"): permissions are per stage so that "reject"
// at review and "reject" at Rakorda are different rights.
func StageObject(s domain.Stage) string {
	if o, ok := stageObjects[s]; ok {
		return o
	}
	return stageObjectPrefix + string(s)
}

// Reach values of a policy line (see model.conf).
const (
	ReachIn       = "in"
	ReachKabKota  = "kabkota"
	ReachProvinsi = "provinsi"
	ReachRelated  = "related"
)

// reachSet is a bitmask of reaches, so a (role, object, action) with several
// lines is one map entry.
type reachSet uint8

const (
	reachIn reachSet = 1 << iota
	reachKabKota
	reachProvinsi
	reachRelated
)

func parseReach(s string) (reachSet, bool) {
	switch s {
	case ReachIn:
		return reachIn, true
	case ReachKabKota:
		return reachKabKota, true
	case ReachProvinsi:
		return reachProvinsi, true
	case ReachRelated:
		return reachRelated, true
	}
	return 0, false
}

// regionLevel counts the segments of a dotted code without allocating; the
// national scope "*" is level 0.
func regionLevel(code string) int {
	if code == domain.NationalScope || code == "" {
		return 0
	}
	return strings.Count(code, ".") + 1
}

// reaches reports whether a grant scope reaches region under any reach in rs.
func (rs reachSet) reaches(scope, region string) bool {
	covers := domain.ScopeCovers(scope, region)
	if covers {
		if rs&(reachIn|reachRelated) != 0 {
			return true
		}
		lvl := regionLevel(region)
		if rs&reachKabKota != 0 && lvl == int(domain.LevelKabKota) {
			return true
		}
		if rs&reachProvinsi != 0 && lvl == int(domain.LevelProvinsi) {
			return true
		}
		return false
	}
	return rs&reachRelated != 0 && domain.ScopeCovers(region, scope)
}

// regionReachFunc is the model's regionReach(scope, region, reach) matcher
// function: the same code the compiled fast path runs.
func regionReachFunc(args ...any) (any, error) {
	if len(args) != 3 {
		return false, fmt.Errorf("regionReach: want 3 arguments, got %d", len(args))
	}
	scope, _ := args[0].(string)
	region, _ := args[1].(string)
	r, _ := args[2].(string)
	rs, ok := parseReach(r)
	if !ok {
		return false, nil
	}
	return rs.reaches(scope, region), nil
}

// newEnforcer builds a Casbin enforcer of ModelConf without an adapter and
// without policy.
func newEnforcer() (*casbin.Enforcer, error) {
	m, err := model.NewModelFromString(ModelConf)
	if err != nil {
		return nil, fmt.Errorf("policies: parse model: %w", err)
	}
	e, err := casbin.NewEnforcer(m)
	if err != nil {
		return nil, fmt.Errorf("policies: new enforcer: %w", err)
	}
	e.EnableLog(false)
	e.EnableAutoSave(false)
	e.AddFunction("regionReach", regionReachFunc)
	return e, nil
}

// ParsePolicy reads policy.csv-shaped text into rules (role, object, action,
// reach), checking every field so a typo fails at start, not at decision time.
func ParsePolicy(text string) ([][]string, error) {
	var rules [][]string
	seen := map[string]bool{}
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Split(line, ",")
		for j := range fields {
			fields[j] = strings.TrimSpace(fields[j])
		}
		if len(fields) != 5 || fields[0] != "p" {
			return nil, fmt.Errorf("policies: policy line %d: want \"p, role, object, action, reach\", got %q", i+1, line)
		}
		rule := fields[1:]
		if err := checkRule(rule); err != nil {
			return nil, fmt.Errorf("policies: policy line %d: %w", i+1, err)
		}
		key := strings.Join(rule, ",")
		if seen[key] {
			return nil, fmt.Errorf("policies: policy line %d: duplicate %q", i+1, line)
		}
		seen[key] = true
		rules = append(rules, rule)
	}
	return rules, nil
}

func checkRule(rule []string) error {
	if len(rule) != 4 {
		return fmt.Errorf("want 4 fields, got %d", len(rule))
	}
	if !domain.ValidRole(domain.Role(rule[0])) {
		return fmt.Errorf("unknown role %q", rule[0])
	}
	if rule[1] == "" || rule[2] == "" {
		return fmt.Errorf("empty object or action")
	}
	if _, ok := parseReach(rule[3]); !ok {
		return fmt.Errorf("unknown reach %q", rule[3])
	}
	return nil
}
