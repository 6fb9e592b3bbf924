package app

import (
	"github.com/rencana-id/rencana/activities"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/workflows"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
)

// NewWorker registers every workflow and activity on the task queue.
func NewWorker(c client.Client, db *store.DB) worker.Worker {
	w := worker.New(c, workflows.TaskQueue, WorkerOptions())
	a := activities.New(db)
	a.Workflows = workflows.NewDriver(c)  // the cycle signals and locks its proposals
	a.KMPStarter = workflows.NewDriver(c) // bulk KMP starts
	a.Register = db                       // a KMP with badan hukum enters the register
	workflows.Register(w, a)
	return w
}

// WorkerOptions are the options of rencana's worker, and of the bench's
// bare-Update worker so that both poll alike.
//
// Thirty-two workflow task pollers instead of the SDK's two: a workflow
// task that finds no poller waiting on its task queue is written to the
// Temporal database and read back, instead of handed over in memory. The
// SDK splits its pollers between the worker's sticky queue and the shared
// one, so two pollers left almost every decision's task to the database.
// Measured with rencana bench (P=2,000, C=16, 2 cores), from the dev
// server's metrics: tasks handed over in memory rose from 2% to 94% of
// polls, tasks written to its task table fell from 35,635 to 1,095 for
// 38,300 workflow tasks, Temporal's CPU per recorded change from 7.1 to
// 5.8 ms, and the transition p50 / p99 from 78 / 163 ms to 58 / 138 ms.
// At P=600 eight pollers still wrote about half the tasks, sixteen a
// fifth, and the SDK's autoscaling poller behaviour about 60%. An idle
// poller is a waiting long poll, which costs next to nothing.
func WorkerOptions() worker.Options {
	return worker.Options{MaxConcurrentWorkflowTaskPollers: 32}
}
