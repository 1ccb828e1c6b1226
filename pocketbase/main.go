// Command bandmesh-pocketbase is PocketBase built as a framework with Bandmesh's routes, JS
// migrations and hooks. This file only composes; the logic lives in internal/.
package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/plugins/jsvm"
	"github.com/pocketbase/pocketbase/plugins/migratecmd"
	"github.com/pocketbase/pocketbase/tools/hook"

	"bandmesh/pocketbase/internal/account"
	"bandmesh/pocketbase/internal/backingtracks"
	"bandmesh/pocketbase/internal/config"
	"bandmesh/pocketbase/internal/directory"
	"bandmesh/pocketbase/internal/logretention"
	"bandmesh/pocketbase/internal/mail"
	"bandmesh/pocketbase/internal/placement"
	"bandmesh/pocketbase/internal/ratelimits"
	"bandmesh/pocketbase/internal/recordings"
	"bandmesh/pocketbase/internal/relaycontrol"
	"bandmesh/pocketbase/internal/secrets"
	"bandmesh/pocketbase/internal/studioapi"
	"bandmesh/pocketbase/internal/turn"
	"bandmesh/pocketbase/internal/web"
)

func main() {
	cfg, err := config.FromEnv(os.Getenv)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bandmesh-pocketbase: refusing to start:\n%v\n", err)
		os.Exit(2)
	}
	limits, err := ratelimits.FromEnv(os.Getenv)
	var logs logretention.Config
	if err == nil {
		logs, err = logretention.FromEnv(os.Getenv)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "bandmesh-pocketbase: refusing to start:\n%v\n", err)
		os.Exit(2)
	}

	// Never dev mode by guessing: PocketBase takes a binary under the temp directory for `go run` and
	// would log every SQL statement (password hashes and token keys among them). `--dev` still works.
	app := pocketbase.NewWithConfig(pocketbase.Config{DefaultDev: false})

	// Defaults sit next to the executable (pocketbase/), not under --dir, so tests and deployments
	// can point --dir anywhere and still run the committed migrations and hooks.
	exeDir := config.ExeDir()
	publicDefault := cfg.PublicDir
	if publicDefault == "" {
		publicDefault = filepath.Join(exeDir, "..", "build")
	}
	flags := app.RootCmd.PersistentFlags()
	hooksDir := flags.String("hooksDir", filepath.Join(exeDir, "pb_hooks"), "the directory with the JS app hooks")
	hooksWatch := flags.Bool("hooksWatch", true, "restart the app when a pb_hooks file changes (no effect on Windows)")
	hooksPool := flags.Int("hooksPool", 8, "how many goja runtimes to prewarm for the JS hooks")
	migrationsDir := flags.String("migrationsDir", filepath.Join(exeDir, "pb_migrations"), "the directory with the JS migrations")
	publicDir := flags.String("publicDir", publicDefault, "the built SvelteKit app to serve at / (BANDMESH_PUBLIC_DIR)")
	_ = app.RootCmd.ParseFlags(os.Args[1:])

	jsvm.MustRegister(app, jsvm.Config{
		MigrationsDir: *migrationsDir,
		HooksDir:      *hooksDir,
		HooksWatch:    *hooksWatch,
		HooksPoolSize: *hooksPool,
	})
	migratecmd.MustRegister(app, app.RootCmd, migratecmd.Config{
		TemplateLang: migratecmd.TemplateLangJS,
		Automigrate:  false,
		Dir:          *migrationsDir,
	})

	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		// No installer: it would mint a superuser token, print it in the log and open a browser. The
		// first superuser comes from `npm run admin -- create EMAIL` (`superuser upsert`).
		se.InstallerFunc = nil
		if err := ratelimits.Register(se, limits); err != nil {
			return err
		}
		if err := logretention.Register(se, logs); err != nil {
			return err
		}
		secretFile := cfg.TicketSecretFile
		if secretFile == "" {
			secretFile = filepath.Join(se.App.DataDir(), secrets.DefaultFileName)
		}
		secret, source, err := secrets.TicketSecret(secrets.Options{EnvValue: cfg.TicketSecret, File: secretFile})
		if err != nil {
			return err
		}
		se.App.Logger().Info("bandmesh ticket secret", "source", source, "file", secretFile, "relayUrl", cfg.RelayURL,
			"relayControlUrl", cfg.RelayControlURL, "relays", len(cfg.Relays), "roomLimit", cfg.RoomLimit,
			"turn", cfg.TURN.Enabled())

		// Membership changes and studio deletions reach live rooms through every relay's /control
		// endpoint, signed with the same secret; pushes queued at shutdown get a moment to go out.
		targets, relays := relayTargets(cfg.Relays)
		pusher, err := relaycontrol.NewFanout(relaycontrol.Options{Secret: secret, Logger: se.App.Logger()}, targets)
		if err != nil {
			return err
		}
		placer, err := placement.New(placement.Options{Relays: relays, Secret: secret, Logger: se.App.Logger()})
		if err != nil {
			return err
		}
		relaycontrol.Bind(se.App, pusher)
		se.App.OnTerminate().BindFunc(func(te *core.TerminateEvent) error {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			pusher.Close(ctx)
			return te.Next()
		})

		se.Router.Bind(&hook.Handler[*core.RequestEvent]{
			Id: "bandmeshHeaders",
			// After PocketBase's own security headers, so X-Frame-Options DENY wins over SAMEORIGIN.
			Priority: apis.DefaultSecurityHeadersMiddlewarePriority + 1,
			Func: func(e *core.RequestEvent) error {
				web.SetCommonHeaders(e.Response.Header(), e.Request)
				if strings.HasPrefix(e.Request.URL.Path, "/api/") {
					web.SetAPIHeaders(e.Response.Header())
				}
				return e.Next()
			},
		})

		// Uploaded takes (issue 9): the file limit follows BANDMESH_RECORDING_MAX_BYTES; unfinished
		// uploads older than BANDMESH_RECORDING_STALE_HOURS go at start and then hourly.
		uploads := recordings.New(se.App, recordings.Options{
			Enabled: cfg.Recordings.Enabled, MaxBytes: cfg.Recordings.MaxBytes, StaleAfter: cfg.Recordings.StaleAfter,
		})
		if err := recordings.SyncFileLimit(se.App, cfg.Recordings.MaxBytes); err != nil {
			return err
		}
		recordings.Bind(se.App, uploads)
		if n, err := uploads.CleanStale(); err != nil || n > 0 {
			se.App.Logger().Info("recording upload sweep at start", "removed", n, "error", err)
		}
		recordings.Register(se.Router, uploads)
		account.Register(se.Router) // issue 10: export and delete your own data
		backingtracks.Bind(se.App)  // issue 11: backing tracks' upload and delete guards
		backingtracks.Register(se.Router)

		// Mail (issue 10): SMTP from the environment, and the verified-address rule.
		if err := mail.ApplySettings(se.App, cfg.Mail); err != nil {
			return err
		}
		mail.BindRequireVerified(se.App, cfg.Mail.RequireVerified)
		mail.BindLocalizedMails(se.App) // issue 10: French mails for French users
		mail.RegisterRoutes(se.Router, cfg.Mail.RequireVerified)

		studioapi.Register(se.Router, studioapi.Options{
			TicketSecret: secret,
			Placer:       placer,
			RoomLimit:    cfg.RoomLimit,
			TURN:         turn.Options{URLs: cfg.TURN.URLs, Secret: cfg.TURN.Secret, TTL: cfg.TURN.TTL},

			RequireVerified: cfg.Mail.RequireVerified,
		})
		directory.Register(se.Router, directory.NewLive(directory.LiveOptions{Relays: relays, Secret: secret, Logger: se.App.Logger()}))
		return se.Next()
	})

	// The SPA catch-all registers last, so routes added by pb_hooks (routerAdd) take precedence.
	app.OnServe().Bind(&hook.Handler[*core.ServeEvent]{
		Priority: 999,
		Func: func(se *core.ServeEvent) error {
			static, err := web.NewStatic(web.StaticOptions{Dir: *publicDir, ConnectOrigins: relayOrigins(cfg.Relays)})
			if err != nil {
				return err
			}
			if !se.Router.HasRoute(http.MethodGet, "/{path...}") {
				se.Router.GET("/{path...}", func(e *core.RequestEvent) error {
					if strings.HasPrefix(e.Request.URL.Path, "/api/") {
						return e.NotFoundError("", nil)
					}
					static.ServeHTTP(e.Response, e.Request)
					return nil
				})
			}
			return se.Next()
		},
	})

	if err := app.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "bandmesh-pocketbase: %v\n", err)
		os.Exit(1)
	}
}

// relayTargets maps the configured relays to control-push targets and placement candidates.
func relayTargets(relays []config.Relay) ([]relaycontrol.Target, []placement.Relay) {
	targets := make([]relaycontrol.Target, 0, len(relays))
	candidates := make([]placement.Relay, 0, len(relays))
	for _, r := range relays {
		targets = append(targets, relaycontrol.Target{RelayID: r.ID, URL: r.ControlURL})
		candidates = append(candidates, placement.Relay{ID: r.ID, WSURL: r.WSURL, BaseURL: r.BaseURL})
	}
	return targets, candidates
}

// relayOrigins are the relays' WebSocket origins for the CSP's connect-src, each once.
func relayOrigins(relays []config.Relay) []string {
	var origins []string
	seen := map[string]bool{}
	for _, r := range relays {
		if !seen[r.Origin] {
			seen[r.Origin] = true
			origins = append(origins, r.Origin)
		}
	}
	return origins
}
