package export_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/export"
)

// FuzzParseDecisions checks the answer-sheet reader on any CSV: it never
// panics; it either refuses with an EINVALID error naming at least one
// field, or returns decisions that each satisfy the rules (an id, fund with
// a known funding source or decline with a reason, each proposal once, a
// data row number). Seeds live in testdata/fuzz/FuzzParseDecisions.
func FuzzParseDecisions(f *testing.F) {
	for _, s := range []string{
		"proposal_id,keputusan_kementerian,sumber_dana,alasan\np1,danai,dak,\np2,tolak,,Tidak sesuai\n",
		"proposal_id;keputusan_kementerian;sumber_dana;komentar\np1;DIDANAI;apbn_dekonsentrasi;\n",
		"\ufeffproposal_id,keputusan_kementerian\np1,tolak\n",
		"proposal_id,keputusan_kementerian,sumber_dana\np1,danai,dak\np1,danai,dak\n",
		"proposal_id,keputusan_kementerian\n\"p1,danai\n",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ds, err := export.ParseDecisions(bytes.NewReader(data), export.CSV)
		if err != nil {
			var de *domain.Error
			if !errors.As(err, &de) || de.Code != domain.EINVALID || len(de.Fields) == 0 {
				t.Fatalf("refusal is not an EINVALID field error: %v", err)
			}
			if ds != nil {
				t.Fatalf("decisions %v with an error", ds)
			}
			return
		}
		if len(ds) == 0 {
			t.Fatal("accepted a file without decisions")
		}
		seen := map[string]bool{}
		for _, d := range ds {
			switch {
			case d.ProposalID == "" || seen[d.ProposalID]:
				t.Fatalf("bad or repeated id in %+v", d)
			case d.Row < 2:
				t.Fatalf("row %d is not a data row: %+v", d.Row, d)
			case d.Action == domain.ActionFund && !domain.ValidFundingSource(d.FundingSource):
				t.Fatalf("fund without a valid source: %+v", d)
			case d.Action == domain.ActionDecline && d.Comment == "":
				t.Fatalf("decline without a reason: %+v", d)
			case d.Action != domain.ActionFund && d.Action != domain.ActionDecline:
				t.Fatalf("unknown action: %+v", d)
			}
			seen[d.ProposalID] = true
		}
	})
}
