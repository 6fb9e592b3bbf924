package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/rencana-id/rencana/internal/app"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// The bare Update is the floor rencana's transitions are compared with: a
// workflow whose one Update handler returns at once (no activity, no
// state), updated with WaitForStage Completed through the same Temporal at
// the same concurrency. Everything a rencana transition costs above it is
// rencana's: HTTP, authorization, the projection write and how the
// workflow does it, notifications. Two variants with one no-op activity or
// local activity in the handler split that difference (see bareKind).

// bareKind is what the Update handler of the measured no-op workflow does.
type bareKind int

const (
	// bareUpdate returns at once: the floor issue 9 compares with.
	bareUpdate bareKind = iota
	// bareWithActivity runs one no-op activity first, as a rencana
	// transition runs RecordTransition: the difference to bareUpdate is
	// what one activity round trip through Temporal costs (a dispatch
	// through matching and one more workflow task).
	bareWithActivity
	// bareWithLocalActivity runs one no-op local activity first: what a
	// transition whose projection write were a local activity would cost
	// Temporal (the answer stays in the workflow task that accepted it).
	bareWithLocalActivity
)

func (k bareKind) String() string {
	switch k {
	case bareWithActivity:
		return "bare Update + 1 no-op activity"
	case bareWithLocalActivity:
		return "bare Update + 1 no-op local activity"
	}
	return "bare Temporal Update"
}

func (k bareKind) workflowName() string {
	return [...]string{"RencanaBenchNoop", "RencanaBenchNoopActivity", "RencanaBenchNoopLocalActivity"}[k]
}

const (
	bareActivityName = "RencanaBenchNoopActivity"
	bareUpdateName   = "noop"
	bareSignalDone   = "done"
	// bareRotate bounds the Updates one no-op workflow takes before the
	// client moves on to a fresh one, so no history grows without bound.
	// Its value hardly matters: 8 Updates per workflow (a proposal's
	// count) against 100 gave a p50 of 111 against 106 ms (4,000 Updates
	// at C=16, fresh server).
	bareRotate = 100
)

// bareWorkflow returns the no-op workflow of kind k: it answers noop
// Updates until signalled done.
func bareWorkflow(k bareKind) func(ctx workflow.Context) error {
	return func(ctx workflow.Context) error {
		actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 30 * time.Second})
		lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: 30 * time.Second})
		if err := workflow.SetUpdateHandler(ctx, bareUpdateName, func(ctx workflow.Context, n int) (int, error) {
			var out int
			switch k {
			case bareWithActivity:
				err := workflow.ExecuteActivity(actx, bareActivityName, n).Get(ctx, &out)
				return out, err
			case bareWithLocalActivity:
				err := workflow.ExecuteLocalActivity(lctx, bareActivity, n).Get(ctx, &out)
				return out, err
			}
			return n, nil
		}); err != nil {
			return err
		}
		workflow.GetSignalChannel(ctx, bareSignalDone).Receive(ctx, nil)
		return workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
	}
}

func bareActivity(_ context.Context, n int) (int, error) { return n, nil }

// bareRun is one timed run of no-op Updates of one kind: startBare
// prepares it, time runs it, close ends it.
//
// The no-op workflows are started and take one untimed Update before the
// clock starts, and are ended after it stops. A rencana stage action
// updates a workflow that is already running; the first Update of a
// freshly started workflow waits for its first workflow task instead (1 to
// 4 s under this load, measured: every bare Update over 300 ms was one),
// which in rencana is create's cost, reported apart. Rotating to fresh
// workflows inside the timed loop also stalled the rotating client, so the
// others were timed at a lower concurrency than C.
type bareRun struct {
	tc      client.Client
	w       worker.Worker
	c       int
	ids     []string // the no-op workflows, started and warmed
	started []bool
}

// startBare starts a worker for kind k on a task queue of its own and
// enough no-op workflows for n Updates from c clients, each warmed by one
// Update.
func startBare(ctx context.Context, tc client.Client, run string, n, c int, k bareKind) (*bareRun, error) {
	queue, wfName := fmt.Sprintf("rencana-bench-bare-%d-%s", k, run), k.workflowName()
	w := worker.New(tc, queue, app.WorkerOptions())
	w.RegisterWorkflowWithOptions(bareWorkflow(k), workflow.RegisterOptions{Name: wfName})
	w.RegisterActivityWithOptions(bareActivity, activity.RegisterOptions{Name: bareActivityName})
	if err := w.Start(); err != nil {
		return nil, fmt.Errorf("bare update worker: %w", err)
	}
	// Every client uses at most one workflow per bareRotate Updates it
	// sends, plus the one it ends on.
	r := &bareRun{tc: tc, w: w, c: c, ids: make([]string, (n+bareRotate-1)/bareRotate+c)}
	r.started = make([]bool, len(r.ids))
	for i := range r.ids {
		r.ids[i] = fmt.Sprintf("bench-bare/%s/%s/%d", run, wfName, i)
	}
	err := parallel(ctx, c, len(r.ids), func(i int) error {
		if _, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: r.ids[i], TaskQueue: queue}, wfName); err != nil {
			return fmt.Errorf("start no-op workflow: %w", err)
		}
		r.started[i] = true
		return r.update(ctx, r.ids[i], -1)
	})
	if err != nil {
		r.close(ctx)
		return nil, err
	}
	return r, nil
}

func (r *bareRun) update(ctx context.Context, id string, i int) error {
	h, err := r.tc.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: id, UpdateName: bareUpdateName, WaitForStage: client.WorkflowUpdateStageCompleted, Args: []any{i},
	})
	if err != nil {
		return err
	}
	var got int
	return h.Get(ctx, &got)
}

// time sends n Updates from the run's c clients and returns the latency
// of each (UpdateWorkflow with WaitForStage Completed plus reading its
// result), the errors and the wall time.
func (r *bareRun) time(ctx context.Context, n int) ([]time.Duration, int, time.Duration, error) {
	pool := make(chan string, len(r.ids))
	for _, id := range r.ids {
		pool <- id
	}
	var (
		mu      sync.Mutex
		lat     = make([]time.Duration, 0, n)
		errs    int
		firstEr error
		wg      sync.WaitGroup
	)
	next := make(chan int, n)
	for i := range n {
		next <- i
	}
	close(next)
	start := time.Now()
	for range r.c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id, used := "", 0
			for i := range next {
				if ctx.Err() != nil {
					return
				}
				if id == "" || used >= bareRotate {
					id, used = <-pool, 0
				}
				used++
				t0 := time.Now()
				err := r.update(ctx, id, i)
				d := time.Since(t0)
				mu.Lock()
				if err != nil {
					errs++
					if firstEr == nil {
						firstEr = err
					}
				} else {
					lat = append(lat, d)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	if len(lat) == 0 && firstEr != nil {
		return nil, errs, wall, firstEr
	}
	return lat, errs, wall, nil
}

// close ends the started workflows and waits for them, so no no-op
// workflow outlives the bench on a shared server, then stops the worker.
func (r *bareRun) close(ctx context.Context) {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	_ = parallel(fctx, r.c, len(r.ids), func(i int) error {
		if r.started[i] && r.tc.SignalWorkflow(fctx, r.ids[i], "", bareSignalDone, nil) == nil {
			_ = r.tc.GetWorkflow(fctx, r.ids[i], "").Get(fctx, nil)
		}
		return nil
	})
	r.w.Stop()
}
