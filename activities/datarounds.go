package activities

import (
	"context"
	"fmt"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
)

// DataRoundEvent is one line of a data round's trail (store.DataRoundEvent).
type DataRoundEvent = store.DataRoundEvent

// RoundStore is what the data round's activity needs from the database;
// *store.DB implements it.
type RoundStore interface {
	RecordDataRound(ctx context.Context, r domain.DataRound, ev store.DataRoundEvent, notes ...domain.Notification) (bool, error)
}

var _ RoundStore = (*store.DB)(nil)

// RecordDataRoundInput is a round's snapshot after a change, the event
// that describes it and the notifications it sends.
type RecordDataRoundInput struct {
	Round         domain.DataRound      `json:"round"`
	Event         DataRoundEvent        `json:"event"`
	Notifications []domain.Notification `json:"notifications,omitempty"`
}

// RecordDataRoundResult says whether this call wrote the event (false: a
// retry found it written).
type RecordDataRoundResult struct {
	Recorded bool `json:"recorded"`
}

// RecordDataRound projects one change of a data round into the database,
// idempotent on the round and seq.
func (a *Activities) RecordDataRound(ctx context.Context, in RecordDataRoundInput) (RecordDataRoundResult, error) {
	rs, ok := a.Store.(RoundStore)
	if !ok {
		return RecordDataRoundResult{}, errNotWired
	}
	recorded, err := rs.RecordDataRound(ctx, in.Round, in.Event, in.Notifications...)
	if err != nil {
		return RecordDataRoundResult{}, classify(fmt.Errorf("record data round %s/%d#%d: %w", in.Round.Region, in.Round.Year, in.Event.Seq, err))
	}
	return RecordDataRoundResult{Recorded: recorded}, nil
}
