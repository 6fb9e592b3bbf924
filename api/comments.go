package api

import (
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/policies"
)

// The discussion thread of a proposal (issue 21): whoever may read the
// proposal may read and write it; a comment notifies the proposal's author
// (when someone else writes) and every user it mentions (@nama) who may
// read the proposal.

type commentRequest struct {
	Body string `json:"body" text:"multiline"`
}

type commentList struct {
	Items []domain.Comment `json:"items"`
}

func (s *Server) listComments(c echo.Context) error {
	p, err := s.visibleProposal(c, c.Param("id"))
	if err != nil {
		return err
	}
	items, err := s.db.Comments(c.Request().Context(), p.ID)
	if err != nil {
		return err
	}
	if items == nil {
		items = []domain.Comment{}
	}
	return c.JSON(http.StatusOK, commentList{Items: items})
}

func (s *Server) addComment(c echo.Context) error {
	p, err := s.visibleProposal(c, c.Param("id"))
	if err != nil {
		return err
	}
	var req commentRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	ctx, user, now := c.Request().Context(), currentUser(c), s.now()
	d, err := s.authz.Decide(ctx, policies.Request{Username: user, Object: policies.ObjProposal, Action: policies.ActRead, Region: p.RegionCode, At: now})
	if err != nil {
		return err
	}
	if !d.Allowed {
		return domain.Errorf(domain.ENOTFOUND, "Usulan %q tidak ditemukan.", p.ID)
	}
	cm := domain.Comment{ID: "kmt-" + keyedID("comment", user, "", 10), ProposalID: p.ID, Author: user,
		AuthorRole: d.Role, Body: strings.TrimSpace(req.Body), CreatedAt: now.UTC()}
	var v domain.Validation
	cm.Validate(&v)
	if err := v.Err(); err != nil {
		return err
	}
	name := p.Number
	if name == "" {
		name = p.ID
	}
	excerpt := cm.Body
	if utf8.RuneCountInString(excerpt) > 120 {
		excerpt = string([]rune(excerpt)[:120]) + "…"
	}
	var notes []domain.Notification
	notify := func(to, kind, msg string) {
		for _, n := range notes {
			if n.RecipientUsername == to {
				return
			}
		}
		notes = append(notes, domain.Notification{ID: cm.ID + "-" + to, RecipientUsername: to, ProposalID: p.ID,
			Kind: kind, Message: msg, Subject: fmt.Sprintf("Komentar pada usulan %s", name), CreatedAt: cm.CreatedAt})
	}
	for _, u := range cm.Mentions() {
		if u == user {
			continue
		}
		scopes, err := s.authz.VisibleScopes(ctx, u, now)
		if err != nil {
			return err
		}
		// Only someone who may read the proposal hears of it; an unknown
		// name or an outsider is simply not notified.
		if _, err := s.db.GetProposalWithin(ctx, p.ID, scopes); err == nil {
			notify(u, "mention", fmt.Sprintf("%s menyebut Anda pada usulan %s \"%s\": %s", user, name, p.Title, excerpt))
		}
	}
	if p.CreatedBy != "" && p.CreatedBy != user {
		notify(p.CreatedBy, "comment", fmt.Sprintf("%s mengomentari usulan Anda %s \"%s\": %s", user, name, p.Title, excerpt))
	}
	if err := s.db.AddComment(ctx, cm, notes...); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, cm)
}
