package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/policies"
)

// The notification centre: the in-app notifications the workflows write
// (review requested, reminders, stage changes), for users without mail as
// much as for those with it.

func (s *Server) notificationRoutes(v1 *echo.Group, a []echo.MiddlewareFunc) {
	v1.GET("/notifications", s.listNotifications, a...)
	v1.POST("/notifications/read", s.markNotificationsRead, a...)
}

// notificationView is one notification as DESIGN.md's contract spells it.
type notificationView struct {
	ID         string     `json:"id"`
	Kind       string     `json:"kind"`
	ProposalID string     `json:"proposal_id"`
	Text       string     `json:"text"`
	Subject    string     `json:"subject"`
	CreatedAt  time.Time  `json:"created_at"`
	ReadAt     *time.Time `json:"read_at"`
	// DataRound and KMPRegionCode name what a notification that is not
	// about a proposal is about, so the page can link to it.
	DataRound     *dataRoundRef `json:"data_round,omitempty"`
	KMPRegionCode string        `json:"kmp_region_code,omitempty"`
}

type dataRoundRef struct {
	RegionCode string `json:"region_code"`
	Year       int    `json:"year"`
}

// aboutOf reads the subject of a data-round or KMP notification from its
// ID, which those workflows build from their own workflow ID
// ("data/<kabkota>/<year>/<seq>/<kind>", "kmp/<desa>/<seq>/<kind>"), so
// no column is needed for it.
func aboutOf(n domain.Notification) (*dataRoundRef, string) {
	parts := strings.Split(n.ID, "/")
	switch {
	case len(parts) == 5 && parts[0] == "data":
		if y, err := strconv.Atoi(parts[2]); err == nil {
			return &dataRoundRef{RegionCode: parts[1], Year: y}, ""
		}
	case len(parts) == 4 && parts[0] == "kmp":
		return nil, parts[1]
	}
	return nil, ""
}

type notificationList struct {
	Items  []notificationView `json:"items"`
	Unread int64              `json:"unread"`
}

// recipient checks the caller may use a notification centre at all and
// returns who reads: the username and the grants in force now.
func (s *Server) recipient(c echo.Context, action string) (store.Recipient, error) {
	ctx, user, now := c.Request().Context(), currentUser(c), s.now()
	d, err := s.authz.Decide(ctx, policies.Request{Username: user, Object: policies.ObjNotifications, Action: action, Region: domain.NationalScope, At: now})
	if err != nil {
		return store.Recipient{}, err
	}
	if !d.Allowed {
		return store.Recipient{}, domain.Errorf(domain.EFORBIDDEN, "Peran Anda tidak menerima notifikasi.")
	}
	grants, err := s.authz.ActiveGrants(ctx, user, now)
	if err != nil {
		return store.Recipient{}, err
	}
	return store.Recipient{Username: user, Grants: grants}, nil
}

// listNotifications answers GET /notifications?unread=true: the caller's
// notifications, newest first, and how many are unread.
func (s *Server) listNotifications(c echo.Context) error {
	r, err := s.recipient(c, policies.ActRead)
	if err != nil {
		return err
	}
	var q store.InboxQuery
	switch c.QueryParam("unread") {
	case "", "false":
	case "true":
		q.UnreadOnly = true
	default:
		var v domain.Validation
		v.Add("unread", "Gunakan true atau false.")
		return v.Err()
	}
	if q.Limit, err = queryInt(c, "limit", 1, store.MaxPageSize, 50); err != nil {
		return err
	}
	items, unread, err := s.db.Inbox(c.Request().Context(), r, q)
	if err != nil {
		return err
	}
	out := notificationList{Items: make([]notificationView, len(items)), Unread: unread}
	for i, n := range items {
		out.Items[i] = notificationView{ID: n.ID, Kind: n.Kind, ProposalID: n.ProposalID, Text: n.Message,
			Subject: n.Subject, CreatedAt: n.CreatedAt, ReadAt: n.ReadAt}
		if n.ProposalID == "" {
			out.Items[i].DataRound, out.Items[i].KMPRegionCode = aboutOf(n.Notification)
		}
	}
	return c.JSON(http.StatusOK, out)
}

type markReadRequest struct {
	IDs []string `json:"ids"`
	All bool     `json:"all"`
}

type markReadResult struct {
	Marked int   `json:"marked"`
	Unread int64 `json:"unread"`
}

// markNotificationsRead answers POST /notifications/read {"ids":[...]} or
// {"all":true}. Ids the caller does not receive are ignored.
func (s *Server) markNotificationsRead(c echo.Context) error {
	r, err := s.recipient(c, policies.ActUpdate)
	if err != nil {
		return err
	}
	var req markReadRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	var v domain.Validation
	switch {
	case req.All && len(req.IDs) > 0:
		v.Add("ids", "Isi ids atau all, tidak keduanya.")
	case !req.All && len(req.IDs) == 0:
		v.Add("ids", "Sebutkan notifikasi yang dibaca (ids) atau all: true.")
	case len(req.IDs) > store.MaxPageSize:
		v.Add("ids", "Paling banyak 200 notifikasi sekali tandai.")
	}
	for i, id := range req.IDs {
		if id == "" || len(id) > 200 {
			v.Add(fmt.Sprintf("ids[%d]", i), "Id notifikasi tidak valid.")
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	ctx := c.Request().Context()
	marked, err := s.db.MarkRead(ctx, r, req.IDs, req.All, s.now())
	if err != nil {
		return err
	}
	_, unread, err := s.db.Inbox(ctx, r, store.InboxQuery{UnreadOnly: true, Limit: 1})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, markReadResult{Marked: marked, Unread: unread})
}
