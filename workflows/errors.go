package workflows

import (
	"errors"
	"strings"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"github.com/rencana-id/rencana/internal/domain"
)

// refusal turns a domain refusal into the error an Update validator or
// handler returns: a non-retryable application error whose type is the
// domain code and whose details are the field errors, so it survives the
// trip to the client (see AsDomainError).
func refusal(de *domain.Error) error {
	if de == nil {
		return nil
	}
	return temporal.NewApplicationErrorWithOptions(de.Message, de.Code, temporal.ApplicationErrorOptions{
		NonRetryable: true,
		Details:      []any{de.Fields},
	})
}

var domainCodes = map[string]bool{
	domain.ECONFLICT: true, domain.EFORBIDDEN: true, domain.EINTERNAL: true, domain.EINVALID: true,
	domain.ENOTFOUND: true, domain.EPRECONDITION: true, domain.ERATELIMIT: true,
	domain.EUNAUTHORIZED: true, domain.EUNAVAILABLE: true,
}

// AsDomainError converts what a client call on a ProposalWorkflow returned
// into a *domain.Error the API maps to a status: a refusal keeps its code,
// message and field errors; a proposal whose workflow has ended is a
// conflict, an unknown one is not found; anything else is returned as it is
// (internal, its text never shown). nil stays nil.
func AsDomainError(err error) error {
	if err == nil {
		return nil
	}
	var de *domain.Error
	if errors.As(err, &de) {
		return de
	}
	var app *temporal.ApplicationError
	if errors.As(err, &app) && domainCodes[app.Type()] {
		out := &domain.Error{Code: app.Type(), Message: app.Message()}
		if app.HasDetails() {
			var fields []domain.FieldError
			if app.Details(&fields) == nil {
				out.Fields = fields
			}
		}
		return out
	}
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return domain.Errorf(domain.ECONFLICT, "Usulan dengan id ini sudah pernah dibuat.")
	}
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		if strings.Contains(nf.Message, "completed") {
			return domain.Errorf(domain.ECONFLICT, "Usulan sudah mencapai tahap akhir; tidak ada aksi lagi.")
		}
		return domain.Errorf(domain.ENOTFOUND, "Usulan tidak ditemukan.")
	}
	return err
}
