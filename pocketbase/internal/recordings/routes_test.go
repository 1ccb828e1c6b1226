package recordings

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
)

// serve is PocketBase's own router (auth loading, body limit) with the upload routes.
func serve(t *testing.T, f *fixture) http.Handler {
	t.Helper()
	r, err := apis.NewRouter(f.app)
	if err != nil {
		t.Fatal(err)
	}
	Register(r, f.svc)
	mux, err := r.BuildMux()
	if err != nil {
		t.Fatal(err)
	}
	return mux
}

func call(t *testing.T, h http.Handler, auth *core.Record, method, path string, body []byte) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	if auth != nil {
		token, err := auth.NewAuthToken()
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	out := map[string]any{}
	if rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, rec.Body.String())
		}
	}
	if got := rec.Header().Get("Cache-Control"); got != "no-store" && rec.Code != http.StatusNotFound {
		t.Fatalf("%s %s: Cache-Control %q", method, path, got)
	}
	return rec.Code, out
}

func TestRoutes(t *testing.T) {
	f := newFixture(t, Options{})
	h := serve(t, f)
	start, _ := json.Marshal(params(f.studio.Id, 20))

	if code, body := call(t, h, nil, http.MethodPost, "/api/bandmesh/uploads", start); code != 401 || body["code"] != CodeUnauthorized {
		t.Fatalf("no session: %d %v", code, body)
	}
	// A superuser is nobody's studio member.
	su := core.NewRecord(mustCollection(t, f.app, core.CollectionNameSuperusers))
	su.SetEmail("root@bandmesh.test")
	su.SetPassword("superuser-password-123")
	if err := f.app.Save(su); err != nil {
		t.Fatal(err)
	}
	if code, _ := call(t, h, su, http.MethodGet, "/api/bandmesh/recordings/limits", nil); code != 401 {
		t.Fatalf("superuser: %d", code)
	}
	if code, body := call(t, h, f.member, http.MethodGet, "/api/bandmesh/recordings/limits", nil); code != 200 ||
		body["maxBytes"] != float64(1024) || body["chunkSize"] != float64(testChunk) || body["enabled"] != true {
		t.Fatalf("limits: %d %v", code, body)
	}
	if code, body := call(t, h, f.member, http.MethodPost, "/api/bandmesh/uploads", []byte("{")); code != 400 || body["code"] != CodeInvalid {
		t.Fatalf("bad json: %d %v", code, body)
	}

	code, body := call(t, h, f.member, http.MethodPost, "/api/bandmesh/uploads", start)
	if code != 201 || body["received"] != float64(0) {
		t.Fatalf("start: %d %v", code, body)
	}
	id := body["uploadId"].(string)
	path := "/api/bandmesh/uploads/" + id
	if code, body := call(t, h, f.member, http.MethodPut, path, payload(4)); code != 400 || !strings.Contains(body["message"].(string), "offset") {
		t.Fatalf("no offset: %d %v", code, body)
	}
	if code, body := call(t, h, f.member, http.MethodPut, path+"?offset=0", payload(testChunk)); code != 200 || body["received"] != float64(testChunk) {
		t.Fatalf("chunk: %d %v", code, body)
	}
	if code, body := call(t, h, f.member, http.MethodPut, path+"?offset=18", payload(1)); code != 409 || body["expected"] != float64(testChunk) {
		t.Fatalf("wrong offset: %d %v", code, body)
	}
	// Starting again resumes: 200 with what the server holds.
	if code, body := call(t, h, f.member, http.MethodPost, "/api/bandmesh/uploads", start); code != 200 || body["uploadId"] != id || body["received"] != float64(testChunk) {
		t.Fatalf("resume: %d %v", code, body)
	}
	if code, body := call(t, h, f.outsider, http.MethodGet, path, nil); code != 404 || body["code"] != CodeUploadNotFound {
		t.Fatalf("someone else's upload: %d %v", code, body)
	}
	if code, _ := call(t, h, f.member, http.MethodPut, path+"?offset=16", payload(4)); code != 200 {
		t.Fatalf("last chunk: %d", code)
	}
	code, body = call(t, h, f.member, http.MethodPost, path+"/complete", nil)
	if code != 200 || body["collectionName"] != RecordingsCollection || body["bytes"] != float64(20) || body["file"] == "" {
		t.Fatalf("complete: %d %v", code, body)
	}
	if code, _ := call(t, h, f.member, http.MethodGet, path, nil); code != 404 {
		t.Fatalf("after complete: %d", code)
	}

	// Abandoning an upload: 204, then it is gone.
	other := params(f.studio.Id, 20)
	other.TakeID = "abandoned"
	start, _ = json.Marshal(other)
	_, body = call(t, h, f.member, http.MethodPost, "/api/bandmesh/uploads", start)
	path = "/api/bandmesh/uploads/" + body["uploadId"].(string)
	if code, _ := call(t, h, f.member, http.MethodDelete, path, nil); code != 204 {
		t.Fatalf("abandon: %d", code)
	}
	if code, _ := call(t, h, f.member, http.MethodGet, path, nil); code != 404 {
		t.Fatalf("after abandon: %d", code)
	}
}

func mustCollection(t *testing.T, app core.App, name string) *core.Collection {
	t.Helper()
	col, err := app.FindCollectionByNameOrId(name)
	if err != nil {
		t.Fatal(err)
	}
	return col
}
