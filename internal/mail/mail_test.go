package mail_test

import (
	"context"
	"mime"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/mail"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/internal/store/storetest"
	"github.com/rencana-id/rencana/policies"
)

// smtpSink is a minimal SMTP server: the one thing here that cannot run for
// real, so the test speaks the protocol to net/smtp and keeps what it gets.
type smtpSink struct {
	l    net.Listener
	mu   sync.Mutex
	msgs []received
}

type received struct {
	from string
	to   []string
	data string
}

func newSink(t *testing.T) *smtpSink {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := &smtpSink{l: l}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *smtpSink) serve(c net.Conn) {
	defer c.Close()
	tp := textproto.NewConn(c)
	_ = tp.PrintfLine("220 sink ESMTP")
	var cur received
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		cmd := strings.ToUpper(line)
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			_ = tp.PrintfLine("250 sink")
		case strings.HasPrefix(cmd, "MAIL FROM:"):
			cur = received{from: strings.Trim(line[len("MAIL FROM:"):], "<> ")}
			_ = tp.PrintfLine("250 ok")
		case strings.HasPrefix(cmd, "RCPT TO:"):
			cur.to = append(cur.to, strings.Trim(line[len("RCPT TO:"):], "<> "))
			_ = tp.PrintfLine("250 ok")
		case cmd == "DATA":
			_ = tp.PrintfLine("354 go on")
			data, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			cur.data = string(data)
			s.mu.Lock()
			s.msgs = append(s.msgs, cur)
			s.mu.Unlock()
			_ = tp.PrintfLine("250 queued")
		case cmd == "QUIT":
			_ = tp.PrintfLine("221 bye")
			return
		default:
			_ = tp.PrintfLine("250 ok")
		}
	}
}

func (s *smtpSink) all() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.msgs...)
}

func TestSMTPDeliversToUsersAndRoleHolders(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	authz, err := policies.New(ctx, db, policies.WithPollInterval(0))
	require.NoError(t, err)
	t.Cleanup(authz.Close)
	for _, u := range []store.User{
		{Username: "kabid.konsel", FullName: "Kabid", PasswordHash: "x", Email: "kabid@konsel.go.id"},
		{Username: "staf.konsel", FullName: "Staf", PasswordHash: "x", Email: "staf@konsel.go.id"},
		{Username: "tanpa.surel", FullName: "Tanpa", PasswordHash: "x"},
		{Username: "siti", FullName: "Siti", PasswordHash: "x", Email: "siti@andoolo.desa.id"},
	} {
		require.NoError(t, db.CreateUser(ctx, u))
	}
	for _, u := range []string{"kabid.konsel", "staf.konsel", "tanpa.surel"} {
		require.NoError(t, authz.AddGrant(ctx, "admin", u, domain.Grant{Role: domain.RoleReviewerKabKota, Scope: "74.05"}))
	}

	sink := newSink(t)
	m, err := mail.ParseURL("smtp://"+sink.l.Addr().String(), "rencana@sultraprov.go.id", db, authz)
	require.NoError(t, err)

	require.NoError(t, m.Send(ctx, domain.Notification{RecipientRole: domain.RoleReviewerKabKota, RecipientScope: "74.05.03",
		Subject: "Usulan menunggu reviu: Pelatihan pengemasan", Message: "Usulan p-1 diajukan.\n.titik di awal baris"}))
	require.NoError(t, m.Send(ctx, domain.Notification{RecipientUsername: "siti", Subject: "Usulan dikembalikan", Message: "Lengkapi uraian."}))
	require.NoError(t, m.Send(ctx, domain.Notification{RecipientUsername: "tanpa.surel", Subject: "x", Message: "y"}), "no address: in-app only")

	got := sink.all()
	require.Len(t, got, 2)
	require.Equal(t, "rencana@sultraprov.go.id", got[0].from)
	require.Equal(t, []string{"kabid@konsel.go.id", "staf@konsel.go.id"}, got[0].to)
	subject := headerOf(t, got[0].data, "Subject")
	dec, err := new(mime.WordDecoder).DecodeHeader(subject)
	require.NoError(t, err)
	require.Equal(t, "Usulan menunggu reviu: Pelatihan pengemasan", dec)
	require.Contains(t, got[0].data, "\n.titik di awal baris", "a leading dot survives the SMTP transfer")
	require.Equal(t, []string{"siti@andoolo.desa.id"}, got[1].to)

	// A server that is down is an error, so the outbox tries again later.
	sink.l.Close()
	require.Error(t, m.Send(ctx, domain.Notification{RecipientUsername: "siti", Subject: "x", Message: "y"}))
}

func TestParseURL(t *testing.T) {
	_, err := mail.ParseURL("http://mail.example.org", "a@b.id", nil, nil)
	require.Error(t, err)
	_, err = mail.ParseURL("smtp://mail.example.org", "bukan-alamat", nil, nil)
	require.Error(t, err)
	m, err := mail.ParseURL("smtp://user:p%40ss@mail.example.org", "a@b.id", nil, nil)
	require.NoError(t, err)
	require.Equal(t, "mail.example.org:587", m.Addr)
	require.NotNil(t, m.Auth)
}

func headerOf(t *testing.T, data, name string) string {
	t.Helper()
	for _, line := range strings.Split(data, "\n") { // ReadDotBytes turns CRLF into LF
		if v, ok := strings.CutPrefix(line, name+": "); ok {
			return v
		}
	}
	t.Fatalf("no %s header in %q", name, data)
	return ""
}
