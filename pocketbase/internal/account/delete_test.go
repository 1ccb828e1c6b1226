package account

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	// The system migrations (_collections, users, …), as the pocketbase package imports them.
	_ "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/plugins/jsvm"
)

// newApp is a real PocketBase app in a temp dir with the committed migrations and JS hooks.
func newApp(t *testing.T) core.App {
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
	return app
}

func save(t *testing.T, app core.App, collection string, fields map[string]any) *core.Record {
	t.Helper()
	col, err := app.FindCollectionByNameOrId(collection)
	if err != nil {
		t.Fatal(err)
	}
	r := core.NewRecord(col)
	for k, v := range fields {
		r.Set(k, v)
	}
	if collection == usersCollection {
		r.SetEmail(fields["name"].(string) + "@bandmesh.test")
		r.SetPassword("correct-horse-battery")
	}
	if err := app.Save(r); err != nil {
		t.Fatal(err)
	}
	return r
}

func roleOf(t *testing.T, app core.App, studio, user string) string {
	t.Helper()
	m, err := app.FindFirstRecordByFilter(membershipsCollection, "studio = {:s} && user = {:u}",
		map[string]any{"s": studio, "u": user})
	if err != nil {
		return ""
	}
	return m.GetString("role")
}

func TestTheLongestStandingEngineerTakesTheStudioOver(t *testing.T) {
	app := newApp(t)
	owner := save(t, app, usersCollection, map[string]any{"name": "owner"})
	early := save(t, app, usersCollection, map[string]any{"name": "early"})
	late := save(t, app, usersCollection, map[string]any{"name": "late"})
	fan := save(t, app, usersCollection, map[string]any{"name": "fan"})
	studio := save(t, app, studiosCollection, map[string]any{"name": "Band", "slug": "band", "owner": owner.Id})
	// The early member joins first but is made engineer after the late one: membership age decides.
	earlyM := save(t, app, membershipsCollection, map[string]any{"studio": studio.Id, "user": early.Id, "role": "member"})
	save(t, app, membershipsCollection, map[string]any{"studio": studio.Id, "user": late.Id, "role": "engineer"})
	save(t, app, membershipsCollection, map[string]any{"studio": studio.Id, "user": fan.Id, "role": "member"})
	earlyM.Set("role", "engineer")
	if err := app.Save(earlyM); err != nil {
		t.Fatal(err)
	}

	got, err := DeleteAccount(app, owner.Id)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.HandedOver) != 1 || got.HandedOver[0].Owner != early.Id || got.StudiosDeleted != 0 {
		t.Fatalf("result = %+v, want the studio handed to %s", got, early.Id)
	}
	after, err := app.FindRecordById(studiosCollection, studio.Id)
	if err != nil {
		t.Fatal(err)
	}
	if after.GetString("owner") != early.Id {
		t.Fatalf("owner = %s, want %s", after.GetString("owner"), early.Id)
	}
	for user, want := range map[string]string{early.Id: "owner", late.Id: "engineer", fan.Id: "member", owner.Id: ""} {
		if got := roleOf(t, app, studio.Id, user); got != want {
			t.Errorf("role of %s = %q, want %q", user, got, want)
		}
	}
	if _, err := app.FindRecordById(usersCollection, owner.Id); err == nil {
		t.Fatal("the account is still there")
	}
}

func TestAStudioWithoutAnEngineerIsDeletedWithItsMemberships(t *testing.T) {
	app := newApp(t)
	owner := save(t, app, usersCollection, map[string]any{"name": "owner"})
	fan := save(t, app, usersCollection, map[string]any{"name": "fan"})
	studio := save(t, app, studiosCollection, map[string]any{"name": "Solo", "slug": "solo", "owner": owner.Id})
	save(t, app, membershipsCollection, map[string]any{"studio": studio.Id, "user": fan.Id, "role": "member"})

	got, err := DeleteAccount(app, owner.Id)
	if err != nil {
		t.Fatal(err)
	}
	if got.StudiosDeleted != 1 || len(got.HandedOver) != 0 {
		t.Fatalf("result = %+v", got)
	}
	if _, err := app.FindRecordById(studiosCollection, studio.Id); err == nil {
		t.Fatal("the studio is still there")
	}
	if roleOf(t, app, studio.Id, fan.Id) != "" {
		t.Fatal("the fan's membership of a deleted studio is still there")
	}
	if _, err := app.FindRecordById(usersCollection, fan.Id); err != nil {
		t.Fatal("the fan's account went too")
	}
}

func TestAFailedDeleteChangesNothing(t *testing.T) {
	app := newApp(t)
	owner := save(t, app, usersCollection, map[string]any{"name": "owner"})
	engineer := save(t, app, usersCollection, map[string]any{"name": "engineer"})
	studio := save(t, app, studiosCollection, map[string]any{"name": "Band", "slug": "band", "owner": owner.Id})
	save(t, app, membershipsCollection, map[string]any{"studio": studio.Id, "user": engineer.Id, "role": "engineer"})
	lonely := save(t, app, studiosCollection, map[string]any{"name": "Lonely", "slug": "lonely", "owner": owner.Id})
	app.OnRecordDelete(usersCollection).BindFunc(func(e *core.RecordEvent) error {
		return errors.New("disk on fire")
	})

	if _, err := DeleteAccount(app, owner.Id); err == nil {
		t.Fatal("DeleteAccount succeeded although the user could not be deleted")
	}
	after, err := app.FindRecordById(studiosCollection, studio.Id)
	if err != nil || after.GetString("owner") != owner.Id {
		t.Fatalf("the hand-over was not rolled back: %v %v", after, err)
	}
	if roleOf(t, app, studio.Id, engineer.Id) != "engineer" {
		t.Fatal("the engineer's promotion was not rolled back")
	}
	if _, err := app.FindRecordById(studiosCollection, lonely.Id); err != nil {
		t.Fatal("the deleted studio was not rolled back")
	}
}
