package reckontest

import (
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"testing"
)

// ScubaGearDataEnv names the environment variable that points the real-report
// tests at another folder of ScubaGear reports than the repository's own.
const ScubaGearDataEnv = "RECKON_SCUBAGEAR_DATA"

// ScubaGearDir is the folder of real CISA ScubaGear reports the tests read:
// ScubaGearDataEnv when set, else testdata/scubagear of this repository.
func ScubaGearDir() string {
	if dir := os.Getenv(ScubaGearDataEnv); dir != "" {
		return dir
	}
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata", "scubagear")
}

// ScubaGearReports returns every ScubaResults_*.json in ScubaGearDir whose
// name matches pattern (a filepath.Match pattern; "" for all), sorted by
// name — the names sort by tenant, then assessment date. The reports are part
// of the repository, so a missing one fails the test: it never skips.
func ScubaGearReports(t testing.TB, pattern string) []string {
	t.Helper()
	if pattern == "" {
		pattern = "ScubaResults_*.json"
	}
	dir := ScubaGearDir()
	files, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no ScubaGear report %s in %s (the reports belong in testdata/scubagear; %s may point elsewhere)",
			pattern, dir, ScubaGearDataEnv)
	}
	sort.Strings(files)
	return files
}
