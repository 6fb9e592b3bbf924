// Package domain holds the vocabulary every other package of rencana shares:
// stages, actions, roles, categories, funding sources, region codes and the
// error codes that the API maps to HTTP statuses. It has no dependencies on
// storage, Temporal or HTTP so that workflows (which must stay deterministic)
// can use it too.
package domain
