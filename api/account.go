package api

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rencana-id/rencana/internal/auth"
	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/export"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/policies"
)

// Credentials (issue 23, ASVS V2): password change and an admin's reset,
// both under the password policy (auth.ValidatePassword) and both ending
// sessions; TOTP second factor with recovery codes, optional for everyone
// and required, where the deployment says so (Deps.Require2FA), for the
// roles that decide money or manage accounts (secondFactorRoles).

// secondFactorRoles must log in with a second factor when Require2FA is on:
// the administrator, who hands out every authority, and the kepala dinas,
// whose decisions (approve, accept, lock) move money.
var secondFactorRoles = []domain.Role{domain.RoleAdmin, domain.RoleKadisKabKota, domain.RoleKadisProvinsi}

// needsSecondFactor reports whether grants include a role that must use a
// second factor (any grant held, active now or not: a delegation that
// starts tomorrow is enrolled today).
func needsSecondFactor(grants []domain.Grant) bool {
	for _, g := range grants {
		for _, r := range secondFactorRoles {
			if g.Role == r {
				return true
			}
		}
	}
	return false
}

// Problem types of a login that lacks its second factor; the client tells
// them apart from a wrong password by type.
const (
	problemOTPRequired  = "https://rencana.go.id/problems/otp_required"
	problemOTPEnrolment = "https://rencana.go.id/problems/otp_enrolment_required"
)

// secondFactorProblem is a 401 that says how to give the second factor; for
// an enrolment it carries the new secret (shown only after the password was
// right).
type secondFactorProblem struct {
	err   *domain.Error
	kind  string
	enrol *auth.TOTPKey
}

func (e *secondFactorProblem) Error() string { return e.err.Error() }
func (e *secondFactorProblem) Unwrap() error { return e.err }

func otpProblem(kind string, enrol *auth.TOTPKey, detail, field string) error {
	de := &domain.Error{Code: domain.EUNAUTHORIZED, Message: detail, Fields: []domain.FieldError{{Field: "otp", Message: field}}}
	return &secondFactorProblem{err: de, kind: kind, enrol: enrol}
}

// secondFactor checks the login's otp for an account with a second factor,
// or enrols one for an account that must have one (first a 401 with the
// secret, then a login with a code from it, which answers the recovery
// codes). A missing code refunds the rate limiter's attempt (the password
// was right); a wrong one spends it.
func (s *Server) secondFactor(c echo.Context, u store.User, code string, attempt *loginAttempt) ([]string, error) {
	ctx, now := c.Request().Context(), s.now()
	if u.HasSecondFactor() {
		if code == "" {
			attempt.cancel()
			return nil, otpProblem(problemOTPRequired, nil,
				"Akun ini memakai verifikasi dua langkah: kirim lagi beserta kolom otp.",
				"Masukkan kode 6 digit dari aplikasi autentikator, atau salah satu kode pemulihan.")
		}
		ok, err := s.checkOTP(ctx, u, code)
		if err != nil {
			attempt.cancel()
			return nil, err
		}
		if !ok {
			s.audit(c, store.EventLoginFailed, u.Username, "", "kode verifikasi salah")
			return nil, otpProblem(problemOTPRequired, nil, "Kode verifikasi salah atau sudah dipakai.",
				"Kode verifikasi salah atau sudah dipakai; tunggu kode berikutnya di aplikasi autentikator.")
		}
		if auth.LooksLikeRecoveryCode(code) {
			s.audit(c, store.EventRecoveryCodeUsed, u.Username, u.Username, "")
		}
		return nil, nil
	}
	if !s.require2FA {
		return nil, nil
	}
	grants, err := s.authz.Grants(ctx, u.Username)
	if err != nil {
		attempt.cancel()
		return nil, err
	}
	if !needsSecondFactor(grants) {
		return nil, nil
	}
	key := auth.TOTPKey{Secret: u.TOTPPending, URL: auth.TOTPKeyURL(u.Username, u.TOTPPending)}
	if key.Secret == "" {
		if key, err = auth.NewTOTPKey(u.Username); err != nil {
			attempt.cancel()
			return nil, err
		}
		if err := s.db.SetPendingTOTP(ctx, u.Username, key.Secret); err != nil {
			attempt.cancel()
			return nil, err
		}
	}
	const how = "Peran Anda wajib memakai verifikasi dua langkah. Tambahkan kunci otp_enrolment.secret (atau otp_enrolment.otpauth_url) ke aplikasi autentikator, lalu kirim lagi nama pengguna, kata sandi dan kolom otp berisi kode 6 digit yang tampil."
	if code == "" {
		attempt.cancel()
		return nil, otpProblem(problemOTPEnrolment, &key, how, "Wajib: kode 6 digit dari aplikasi autentikator setelah kunci ditambahkan.")
	}
	step, ok := auth.MatchTOTP(key.Secret, code, now)
	if !ok {
		s.audit(c, store.EventLoginFailed, u.Username, "", "kode pendaftaran 2FA salah")
		return nil, otpProblem(problemOTPEnrolment, &key, how, "Kode verifikasi salah; periksa jam ponsel dan kunci yang ditambahkan.")
	}
	codes, err := s.enableTOTP(ctx, u.Username, key.Secret, step)
	if err != nil {
		attempt.cancel()
		return nil, err
	}
	s.audit(c, store.EventTOTPEnabled, u.Username, u.Username, "didaftarkan saat masuk (wajib untuk perannya)")
	return codes, nil
}

// checkOTP checks a TOTP code (once per time step) or spends a recovery code.
func (s *Server) checkOTP(ctx context.Context, u store.User, code string) (bool, error) {
	if rc := auth.NormalizeRecoveryCode(code); rc != "" {
		codes, err := s.db.UnusedRecoveryCodes(ctx, u.Username)
		if err != nil {
			return false, err
		}
		for _, h := range codes {
			if auth.CheckPassword(h.CodeHash, rc) {
				return s.db.UseRecoveryCode(ctx, h.ID)
			}
		}
		return false, nil
	}
	step, ok := auth.MatchTOTP(u.TOTPSecret, code, s.now())
	if !ok {
		return false, nil
	}
	return s.db.UseOTPStep(ctx, u.Username, step)
}

func (s *Server) enableTOTP(ctx context.Context, username, secret string, step int64) ([]string, error) {
	codes, hashes, err := auth.NewRecoveryCodes()
	if err != nil {
		return nil, err
	}
	if err := s.db.EnableTOTP(ctx, username, secret, step, hashes); err != nil {
		return nil, err
	}
	return codes, nil
}

// --- the caller's own account ------------------------------------------------------

type passwordChangeRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// changePassword sets the caller's new password after checking the current
// one, and ends every other session of theirs (a thief's included); this
// one goes on.
func (s *Server) changePassword(c echo.Context) error {
	var req passwordChangeRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	ctx, user := c.Request().Context(), currentUser(c)
	u, err := s.db.GetUser(ctx, user)
	if err != nil {
		return err
	}
	var v domain.Validation
	if !auth.CheckPassword(u.PasswordHash, req.CurrentPassword) {
		v.Add("current_password", "Kata sandi saat ini salah.")
	}
	auth.ValidatePassword(&v, "new_password", req.NewPassword, u.Username, u.FullName)
	if req.NewPassword != "" && req.NewPassword == req.CurrentPassword {
		v.Add("new_password", "Kata sandi baru harus berbeda dari yang lama.")
	}
	if err := v.Err(); err != nil {
		return err
	}
	hash, err := auth.HashPassword(req.NewPassword)
	if err != nil {
		return err
	}
	if err := s.db.SetPassword(ctx, user, hash); err != nil {
		return err
	}
	s.audit(c, store.EventPasswordChanged, user, user, "")
	n, err := s.endSessions(c, user, currentSession(c), user, "", "")
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, revokedCount{Revoked: n})
}

// twoFactorSetup starts (or restarts) the caller's optional enrolment: a
// new pending secret, confirmed by twoFactorEnable.
func (s *Server) twoFactorSetup(c echo.Context) error {
	ctx, user := c.Request().Context(), currentUser(c)
	u, err := s.db.GetUser(ctx, user)
	if err != nil {
		return err
	}
	if u.HasSecondFactor() {
		return domain.Errorf(domain.ECONFLICT, "Verifikasi dua langkah sudah aktif; nonaktifkan dahulu untuk mengganti kunci.")
	}
	key, err := auth.NewTOTPKey(user)
	if err != nil {
		return err
	}
	if err := s.db.SetPendingTOTP(ctx, user, key.Secret); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, key)
}

type otpRequest struct {
	Code string `json:"code"`
	// Password is asked again to turn the second factor off.
	Password string `json:"password"`
}

type recoveryCodesView struct {
	RecoveryCodes []string `json:"recovery_codes"`
}

// twoFactorEnable confirms the pending secret with a first code and
// answers the recovery codes (shown once).
func (s *Server) twoFactorEnable(c echo.Context) error {
	var req otpRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	ctx, user := c.Request().Context(), currentUser(c)
	u, err := s.db.GetUser(ctx, user)
	if err != nil {
		return err
	}
	switch {
	case u.HasSecondFactor():
		return domain.Errorf(domain.ECONFLICT, "Verifikasi dua langkah sudah aktif.")
	case u.TOTPPending == "":
		return domain.Errorf(domain.ECONFLICT, "Mulai dahulu pendaftaran (POST /api/v1/me/2fa/setup).")
	}
	step, ok := auth.MatchTOTP(u.TOTPPending, req.Code, s.now())
	if !ok {
		return invalidField("code", "Kode verifikasi salah; periksa jam ponsel dan kunci yang ditambahkan.")
	}
	codes, err := s.enableTOTP(ctx, user, u.TOTPPending, step)
	if err != nil {
		return err
	}
	s.audit(c, store.EventTOTPEnabled, user, user, "")
	return c.JSON(http.StatusOK, recoveryCodesView{RecoveryCodes: codes})
}

// twoFactorDisable turns the caller's second factor off, given the password
// and a current code; refused where the deployment requires it of the role.
func (s *Server) twoFactorDisable(c echo.Context) error {
	var req otpRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	ctx, user := c.Request().Context(), currentUser(c)
	u, err := s.db.GetUser(ctx, user)
	if err != nil {
		return err
	}
	if !u.HasSecondFactor() {
		return domain.Errorf(domain.ECONFLICT, "Verifikasi dua langkah belum aktif.")
	}
	grants, err := s.authz.Grants(ctx, user)
	if err != nil {
		return err
	}
	if s.require2FA && needsSecondFactor(grants) {
		return domain.Errorf(domain.EFORBIDDEN, "Peran Anda wajib memakai verifikasi dua langkah; tidak dapat dinonaktifkan.")
	}
	var v domain.Validation
	if !auth.CheckPassword(u.PasswordHash, req.Password) {
		v.Add("password", "Kata sandi salah.")
	}
	if ok, err := s.checkOTP(ctx, u, req.Code); err != nil {
		return err
	} else if !ok {
		v.Add("code", "Kode verifikasi salah atau sudah dipakai.")
	}
	if err := v.Err(); err != nil {
		return err
	}
	if err := s.db.DisableTOTP(ctx, user); err != nil {
		return err
	}
	s.audit(c, store.EventTOTPDisabled, user, user, "")
	return c.NoContent(http.StatusNoContent)
}

// --- administration ---------------------------------------------------------------

type passwordResetRequest struct {
	Password string `json:"password"`
	// ResetTwoFactor also removes the user's second factor (a lost phone
	// and lost recovery codes): the next login enrols again if required.
	ResetTwoFactor bool `json:"reset_two_factor"`
}

// resetPassword is the admin-initiated reset: a new password (under the
// policy) handed over out of band, every session of the user ended.
func (s *Server) resetPassword(c echo.Context) error {
	if err := s.require(c, policies.ObjUsers, policies.ActManage); err != nil {
		return err
	}
	var req passwordResetRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	ctx, by, username := c.Request().Context(), currentUser(c), c.Param("username")
	if username == by {
		return domain.Errorf(domain.EFORBIDDEN, "Ubah kata sandi Anda sendiri lewat POST /api/v1/me/password.")
	}
	u, err := s.db.GetUser(ctx, username)
	if err != nil {
		return err
	}
	var v domain.Validation
	auth.ValidatePassword(&v, "password", req.Password, u.Username, u.FullName)
	if err := v.Err(); err != nil {
		return err
	}
	hash, err := auth.HashPassword(req.Password)
	if err != nil {
		return err
	}
	if err := s.db.SetPassword(ctx, username, hash); err != nil {
		return err
	}
	if req.ResetTwoFactor && u.HasSecondFactor() {
		if err := s.db.DisableTOTP(ctx, username); err != nil {
			return err
		}
		s.audit(c, store.EventTOTPDisabled, username, by, "direset administrator")
	}
	n, err := s.endSessions(c, username, "", by, store.EventPasswordReset, "")
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, revokedCount{Revoked: n})
}

// endUserSessions is the admin's "end all sessions" (a stolen laptop).
func (s *Server) endUserSessions(c echo.Context) error {
	if err := s.require(c, policies.ObjUsers, policies.ActManage); err != nil {
		return err
	}
	ctx, by, username := c.Request().Context(), currentUser(c), c.Param("username")
	if _, err := s.db.GetUser(ctx, username); err != nil {
		return err
	}
	n, err := s.endSessions(c, username, "", by, store.EventSessionsRevoked, "oleh administrator")
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, revokedCount{Revoked: n})
}

type disabledRequest struct {
	Disabled *bool `json:"disabled"`
}

// setUserDisabled disables an account (ending its sessions) or enables it
// again; an admin cannot disable themself.
func (s *Server) setUserDisabled(c echo.Context) error {
	if err := s.require(c, policies.ObjUsers, policies.ActManage); err != nil {
		return err
	}
	var req disabledRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	if req.Disabled == nil {
		return invalidField("disabled", "Wajib diisi: true untuk menonaktifkan, false untuk mengaktifkan.")
	}
	ctx, by, username := c.Request().Context(), currentUser(c), c.Param("username")
	if username == by {
		return domain.Errorf(domain.EFORBIDDEN, "Anda tidak dapat menonaktifkan akun Anda sendiri.")
	}
	if err := s.db.SetUserDisabled(ctx, username, *req.Disabled); err != nil {
		return err
	}
	if *req.Disabled {
		if _, err := s.endSessions(c, username, "", by, store.EventUserDisabled, ""); err != nil {
			return err
		}
	} else {
		s.audit(c, store.EventUserEnabled, username, by, "")
	}
	u, err := s.adminUser(ctx, username, true)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, u)
}

// securityAudit downloads the security audit as CSV (export.
// SecurityAuditHeader) for from ≤ day < until (YYYY-MM-DD, UTC; default the
// last 30 days): admin only (policy object audit).
func (s *Server) securityAudit(c echo.Context) error {
	if err := s.require(c, policies.ObjAudit, policies.ActRead); err != nil {
		return err
	}
	now := s.now().UTC()
	until := now.Truncate(24*time.Hour).AddDate(0, 0, 1)
	from := until.AddDate(0, 0, -30)
	var v domain.Validation
	for name, dst := range map[string]*time.Time{"from": &from, "until": &until} {
		if raw := c.QueryParam(name); raw != "" {
			t, err := time.Parse(time.DateOnly, raw)
			if err != nil {
				v.Add(name, "Tanggal harus berformat YYYY-MM-DD.")
				continue
			}
			*dst = t
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	if !until.After(from) {
		return invalidField("until", "Tanggal akhir harus setelah tanggal awal.")
	}
	w := &download{c: c, log: s.log, contentType: export.CSV.ContentType(),
		filename: "audit-keamanan-" + from.Format(time.DateOnly) + "-" + until.Format(time.DateOnly) + ".csv"}
	_, err := export.WriteSecurityAuditCSV(c.Request().Context(), s.db, from, until, w)
	return w.finish(err)
}
