package relaycontrol

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
	// The system migrations (_collections, users, …), as the pocketbase package imports them.
	_ "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/plugins/jsvm"
)

// recorder is a Sink that keeps what the hooks pushed.
type recorder struct {
	mu  sync.Mutex
	got []Message
}

func (r *recorder) Push(m Message) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, m)
}

func (r *recorder) take() []Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	got := r.got
	r.got = nil
	return got
}

// newApp is a real PocketBase app in a temp dir with the committed migrations and JS hooks (so a
// studio is created with its owner membership, as in production) and sink bound by Bind.
func newApp(t *testing.T, sink Sink) core.App {
	t.Helper()
	app := core.NewBaseApp(core.BaseAppConfig{DataDir: t.TempDir()})
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	jsvm.MustRegister(app, jsvm.Config{
		MigrationsDir: filepath.Join(root, "pb_migrations"),
		HooksDir:      filepath.Join(root, "pb_hooks"),
		HooksPoolSize: 1,
	})
	if err := app.Bootstrap(); err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	if err := app.RunAllMigrations(); err != nil {
		t.Fatalf("migrations: %v", err)
	}
	t.Cleanup(func() { _ = app.ResetBootstrapState() })
	Bind(app, sink)
	return app
}

func newUser(t *testing.T, app core.App, name string) *core.Record {
	t.Helper()
	col, err := app.FindCollectionByNameOrId("users")
	if err != nil {
		t.Fatal(err)
	}
	u := core.NewRecord(col)
	u.SetEmail(name + "@bandmesh.test")
	u.SetPassword("correct-horse-battery")
	u.Set("name", name)
	if err := app.Save(u); err != nil {
		t.Fatal(err)
	}
	return u
}

func newStudio(t *testing.T, app core.App, owner *core.Record, slug string) *core.Record {
	t.Helper()
	col, err := app.FindCollectionByNameOrId("studios")
	if err != nil {
		t.Fatal(err)
	}
	s := core.NewRecord(col)
	s.Set("name", slug)
	s.Set("slug", slug)
	s.Set("owner", owner.Id)
	if err := app.Save(s); err != nil {
		t.Fatal(err)
	}
	return s
}

func addMember(t *testing.T, app core.App, studio, user *core.Record, role string) *core.Record {
	t.Helper()
	col, err := app.FindCollectionByNameOrId("memberships")
	if err != nil {
		t.Fatal(err)
	}
	m := core.NewRecord(col)
	m.Set("studio", studio.Id)
	m.Set("user", user.Id)
	m.Set("role", role)
	if err := app.Save(m); err != nil {
		t.Fatal(err)
	}
	return m
}

func membership(t *testing.T, app core.App, studio, user *core.Record) *core.Record {
	t.Helper()
	all, err := app.FindAllRecords("memberships")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range all {
		if r.GetString("studio") == studio.Id && r.GetString("user") == user.Id {
			return r
		}
	}
	t.Fatalf("no membership of %s in %s", user.Id, studio.Id)
	return nil
}

func role(r string) *string { return &r }

func sameMessages(t *testing.T, got, want []Message) {
	t.Helper()
	str := func(ms []Message) string {
		out := ""
		for _, m := range ms {
			m.At = time.Unix(0, 0)
			b, _ := m.Body()
			out += string(b) + "\n"
		}
		return out
	}
	if str(got) != str(want) {
		t.Fatalf("pushed:\n%swant:\n%s", str(got), str(want))
	}
}

func TestRoleChangeIsPushedOnlyWhenTheRoleChanges(t *testing.T) {
	sink := &recorder{}
	app := newApp(t, sink)
	owner, drummer := newUser(t, app, "owner"), newUser(t, app, "drummer")
	studio := newStudio(t, app, owner, "the-band")
	addMember(t, app, studio, drummer, "member")
	sameMessages(t, sink.take(), nil) // creations are not pushed: a new member has no live socket

	m := membership(t, app, studio, drummer)
	m.Set("role", "engineer")
	if err := app.Save(m); err != nil {
		t.Fatal(err)
	}
	// The default setting (everyone) lets the engineer record: rec rides along with the role.
	sameMessages(t, sink.take(), []Message{MembershipChanged(studio.Id, drummer.Id, "engineer").WithRec(true)})

	fresh := membership(t, app, studio, drummer)
	fresh.Set("role", "engineer")
	if err := app.Save(fresh); err != nil {
		t.Fatal(err)
	}
	sameMessages(t, sink.take(), nil)
}

func TestMembershipDeleteIsPushedAsRoleNull(t *testing.T) {
	sink := &recorder{}
	app := newApp(t, sink)
	owner, drummer := newUser(t, app, "owner"), newUser(t, app, "drummer")
	studio := newStudio(t, app, owner, "the-band")
	addMember(t, app, studio, drummer, "member")
	sink.take()

	if err := app.Delete(membership(t, app, studio, drummer)); err != nil {
		t.Fatal(err)
	}
	sameMessages(t, sink.take(), []Message{MembershipRevoked(studio.Id, drummer.Id)})
}

func TestStudioDeleteIsOneMessageNotOnePerMember(t *testing.T) {
	sink := &recorder{}
	app := newApp(t, sink)
	owner, a, b := newUser(t, app, "owner"), newUser(t, app, "a"), newUser(t, app, "b")
	studio := newStudio(t, app, owner, "the-band")
	addMember(t, app, studio, a, "member")
	addMember(t, app, studio, b, "engineer")
	sink.take()

	if err := app.Delete(studio); err != nil {
		t.Fatal(err)
	}
	if n, _ := app.CountRecords("memberships"); n != 0 {
		t.Fatalf("%d memberships survived the studio", n)
	}
	sameMessages(t, sink.take(), []Message{StudioDeleted(studio.Id)})
}

// PocketBase fires the membership delete hooks for cascaded deletes, so a deleted account is
// removed from every live room it was in; the studios it owned are closed as wholes.
func TestUserDeleteRevokesEveryMembership(t *testing.T) {
	sink := &recorder{}
	app := newApp(t, sink)
	owner, leaver, other := newUser(t, app, "owner"), newUser(t, app, "leaver"), newUser(t, app, "other")
	band := newStudio(t, app, owner, "the-band")
	duo := newStudio(t, app, owner, "the-duo")
	own := newStudio(t, app, leaver, "solo-act")
	addMember(t, app, band, leaver, "member")
	addMember(t, app, duo, leaver, "engineer")
	addMember(t, app, own, other, "member")
	sink.take()

	if err := app.Delete(leaver); err != nil {
		t.Fatal(err)
	}
	got := sink.take()
	want := map[string]bool{
		"membership " + band.Id + " " + leaver.Id: true,
		"membership " + duo.Id + " " + leaver.Id:  true,
		"studio-deleted " + own.Id:                true,
	}
	seen := map[string]bool{}
	for _, m := range got {
		key := m.Kind + " " + m.Studio
		if m.Kind == KindMembership {
			key += " " + m.User
			if m.Role != nil {
				t.Errorf("membership push with role %q, want null", *m.Role)
			}
		}
		if !want[key] || seen[key] {
			t.Errorf("unexpected or repeated push %q", key)
		}
		seen[key] = true
	}
	if len(seen) != len(want) {
		t.Fatalf("pushed %v, want %v", seen, want)
	}
}

func TestMovedMembershipRevokesTheOldPair(t *testing.T) {
	sink := &recorder{}
	app := newApp(t, sink)
	owner, a, b := newUser(t, app, "owner"), newUser(t, app, "a"), newUser(t, app, "b")
	studio := newStudio(t, app, owner, "the-band")
	addMember(t, app, studio, a, "member")
	sink.take()

	// Fetched, as the API does: a record saved from NewRecord has no original state to compare.
	m := membership(t, app, studio, a)
	m.Set("user", b.Id)
	if err := app.Save(m); err != nil {
		t.Fatal(err)
	}
	sameMessages(t, sink.take(), []Message{
		MembershipRevoked(studio.Id, a.Id),
		MembershipChanged(studio.Id, b.Id, "member").WithRec(true),
	})
}

func TestRolledBackChangesAreNotPushed(t *testing.T) {
	sink := &recorder{}
	app := newApp(t, sink)
	owner, a := newUser(t, app, "owner"), newUser(t, app, "a")
	studio := newStudio(t, app, owner, "the-band")
	addMember(t, app, studio, a, "member")
	sink.take()

	err := app.RunInTransaction(func(tx core.App) error {
		m := membership(t, tx, studio, a)
		m.Set("role", "engineer")
		if err := tx.Save(m); err != nil {
			return err
		}
		if err := tx.Delete(studio); err != nil {
			return err
		}
		return io.ErrUnexpectedEOF // roll everything back
	})
	if err != io.ErrUnexpectedEOF {
		t.Fatalf("transaction: %v", err)
	}
	sameMessages(t, sink.take(), nil)
}

// A relay that fails or hangs never fails or slows the change that triggered the push.
func TestFailingRelayDoesNotFailTheChange(t *testing.T) {
	for _, name := range []string{"error", "hang"} {
		t.Run(name, func(t *testing.T) {
			relay := newFakeRelay(t, http.StatusInternalServerError)
			if name == "hang" {
				relay.delay = 5 * time.Second
			}
			p := newPusher(t, relay.URL+Path, io.Discard, func(o *Options) { o.Timeout = 200 * time.Millisecond })
			app := newApp(t, p)
			owner, a := newUser(t, app, "owner"), newUser(t, app, "a")
			studio := newStudio(t, app, owner, "the-band")
			m := addMember(t, app, studio, a, "member")

			start := time.Now()
			m.Set("role", "engineer")
			if err := app.Save(m); err != nil {
				t.Fatalf("save failed with the relay failing: %v", err)
			}
			if err := app.Delete(studio); err != nil {
				t.Fatalf("delete failed with the relay failing: %v", err)
			}
			if elapsed := time.Since(start); elapsed > 150*time.Millisecond {
				t.Fatalf("the changes waited for the relay: %v", elapsed)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			p.Close(ctx)
			if n := len(relay.requests()); n != 4 {
				t.Fatalf("%d attempts for 2 pushes, want 4 (one retry each)", n)
			}
		})
	}
}

func TestRecordingSettingChangeIsPushedOnceAndRolesFollowIt(t *testing.T) {
	sink := &recorder{}
	app := newApp(t, sink)
	owner, drummer := newUser(t, app, "owner"), newUser(t, app, "drummer")
	studio := newStudio(t, app, owner, "the-band")
	if got := studio.GetString("recordingAllowed"); got != "everyone" {
		t.Fatalf("a new studio has recordingAllowed %q, want everyone", got)
	}
	addMember(t, app, studio, drummer, "engineer")
	sink.take()

	fresh, err := app.FindRecordById("studios", studio.Id)
	if err != nil {
		t.Fatal(err)
	}
	fresh.Set("recordingAllowed", "engineers")
	if err := app.Save(fresh); err != nil {
		t.Fatal(err)
	}
	sameMessages(t, sink.take(), []Message{RecordingPolicyChanged(studio.Id, "engineers")})

	// Another field changes: no recording push.
	if fresh, err = app.FindRecordById("studios", studio.Id); err != nil {
		t.Fatal(err)
	}
	fresh.Set("description", "we jam")
	if err := app.Save(fresh); err != nil {
		t.Fatal(err)
	}
	sameMessages(t, sink.take(), nil)

	// A demoted engineer may no longer record under "engineers".
	m := membership(t, app, studio, drummer)
	m.Set("role", "member")
	if err := app.Save(m); err != nil {
		t.Fatal(err)
	}
	sameMessages(t, sink.take(), []Message{MembershipChanged(studio.Id, drummer.Id, "member").WithRec(false)})

	// Only the three settings exist.
	fresh.Set("recordingAllowed", "admins")
	if err := app.Save(fresh); err == nil {
		t.Fatal("saved an unknown recordingAllowed")
	}
	sameMessages(t, sink.take(), nil)
}
