package main

import (
	"context"
	"fmt"
	"sync"
	"time"

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
	// bareRotate bounds the updates one no-op workflow takes before the
	// client moves on to a fresh one, so its history stays as short as a
	// proposal's and the comparison is not skewed by history size.
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

// measureBareUpdates runs n no-op Updates of kind k with c concurrent
// clients on a task queue of its own, polled by a worker in this process,
// and returns the latency of each (UpdateWorkflow with WaitForStage
// Completed plus reading its result), the errors and the wall time.
func measureBareUpdates(ctx context.Context, tc client.Client, run string, n, c int, k bareKind) ([]time.Duration, int, time.Duration, error) {
	queue, wfName := fmt.Sprintf("rencana-bench-bare-%d-%s", k, run), k.workflowName()
	// Worker options as newWorker's (the defaults), so both sides poll alike.
	w := worker.New(tc, queue, worker.Options{})
	w.RegisterWorkflowWithOptions(bareWorkflow(k), workflow.RegisterOptions{Name: wfName})
	w.RegisterActivityWithOptions(bareActivity, activity.RegisterOptions{Name: bareActivityName})
	if err := w.Start(); err != nil {
		return nil, 0, 0, fmt.Errorf("bare update worker: %w", err)
	}
	defer w.Stop()

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
	for cl := range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			gen, used := 0, 0
			id := ""
			// finish ends the current workflow and waits for it, so no
			// no-op workflow outlives the bench on a shared server.
			finish := func() {
				if id == "" {
					return
				}
				fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
				defer cancel()
				if tc.SignalWorkflow(fctx, id, "", bareSignalDone, nil) == nil {
					_ = tc.GetWorkflow(fctx, id, "").Get(fctx, nil)
				}
			}
			defer finish()
			for i := range next {
				if ctx.Err() != nil {
					return
				}
				if id == "" || used >= bareRotate {
					finish()
					gen++
					used = 0
					id = fmt.Sprintf("bench-bare/%s/%s/%d/%d", run, wfName, cl, gen)
					if _, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: queue}, wfName); err != nil {
						mu.Lock()
						errs++
						if firstEr == nil {
							firstEr = err
						}
						mu.Unlock()
						id = ""
						continue
					}
				}
				used++
				t0 := time.Now()
				h, err := tc.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
					WorkflowID: id, UpdateName: bareUpdateName, WaitForStage: client.WorkflowUpdateStageCompleted, Args: []any{i},
				})
				var got int
				if err == nil {
					err = h.Get(ctx, &got)
				}
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
