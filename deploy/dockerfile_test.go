package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// No container engine runs where these tests do: they parse the
// Dockerfile with BuildKit's own parser and check what the images rely on.

// Stages of the Dockerfile: the builder, the variant with node and
// python3, and the distroless default, last so a plain build makes it.
var wantStages = []string{"build", "runtimes", "default"}

// The paths the runtime stages agree on with the manifests and compose.
const (
	imageBinary = "/usr/local/bin/portico"
	imageConfig = "/etc/portico/portico.yaml"
)

type instruction struct {
	cmd   string // lower case: from, run, copy, …
	args  []string
	flags []string
	json  bool // exec form: ["a", "b"]
	line  int
}

type stage struct {
	name, base string
	instrs     []instruction
}

// all are the stage's instructions named cmd.
func (s stage) all(cmd string) []instruction {
	var out []instruction
	for _, in := range s.instrs {
		if in.cmd == cmd {
			out = append(out, in)
		}
	}
	return out
}

// last is the stage's last instruction named cmd, the one in force.
func (s stage) last(t *testing.T, cmd string) instruction {
	t.Helper()
	all := s.all(cmd)
	if len(all) == 0 {
		t.Fatalf("stage %s: no %s", s.name, strings.ToUpper(cmd))
	}
	return all[len(all)-1]
}

// env is the environment the stage's ENV instructions set. BuildKit's
// parser gives each variable as three words: name, value, separator.
func (s stage) env() map[string]string {
	out := map[string]string{}
	for _, in := range s.all("env") {
		for i := 0; i+1 < len(in.args); i += 3 {
			out[in.args[i]] = in.args[i+1]
		}
	}
	return out
}

// parseDockerfile parses file into its global instructions (the ARGs
// before the first FROM) and its stages.
func parseDockerfile(t *testing.T, file string) (global []instruction, stages []stage) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := parser.Parse(f)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	for _, w := range res.Warnings {
		t.Errorf("%s: %s", file, w.Short)
	}
	for _, n := range res.AST.Children {
		in := instruction{cmd: strings.ToLower(n.Value), flags: n.Flags, json: n.Attributes["json"], line: n.StartLine}
		for a := n.Next; a != nil; a = a.Next {
			in.args = append(in.args, a.Value)
		}
		if in.cmd == "from" {
			st := stage{base: in.args[0]}
			if len(in.args) == 3 && strings.EqualFold(in.args[1], "as") {
				st.name = in.args[2]
			}
			stages = append(stages, st)
			continue
		}
		if len(stages) == 0 {
			global = append(global, in)
			continue
		}
		stages[len(stages)-1].instrs = append(stages[len(stages)-1].instrs, in)
	}
	return global, stages
}

// goVersion is the major.minor of the go directive in Portico's go.mod.
func goVersion(t *testing.T) string {
	t.Helper()
	text, err := os.ReadFile(filepath.Join(repoRoot, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(text)
	if m == nil {
		t.Fatal("go.mod has no go directive")
	}
	return string(m[1])
}

func TestDockerfile(t *testing.T) {
	global, stages := parseDockerfile(t, "Dockerfile")
	var names []string
	for _, s := range stages {
		names = append(names, s.name)
	}
	if !slices.Equal(names, wantStages) {
		t.Fatalf("stages %v, want %v", names, wantStages)
	}
	build, runtimes, def := stages[0], stages[1], stages[2]

	t.Run("build", func(t *testing.T) {
		want := "GO_VERSION=" + goVersion(t)
		if !slices.ContainsFunc(global, func(in instruction) bool { return in.cmd == "arg" && slices.Contains(in.args, want) }) {
			t.Errorf("want ARG %s before the first FROM, as go.mod's go directive", want)
		}
		if !strings.HasPrefix(build.base, "golang:") {
			t.Errorf("build stage FROM %s: want a golang image", build.base)
		}
		static := regexp.MustCompile(`CGO_ENABLED=0 go build .*-o /out/portico \./cmd/portico$`)
		if !slices.ContainsFunc(build.all("run"), func(in instruction) bool { return static.MatchString(strings.Join(in.args, " ")) }) {
			t.Errorf("build stage: want a RUN matching %s", static)
		}
	})

	t.Run("runtimes", func(t *testing.T) {
		if !strings.HasPrefix(runtimes.base, "debian:") || !strings.HasSuffix(runtimes.base, "-slim") {
			t.Errorf("runtimes FROM %s: want a Debian slim image", runtimes.base)
		}
		installs := strings.Join(runtimes.last(t, "run").args, " ")
		for _, pkg := range []string{"nodejs", "python3"} {
			if !strings.Contains(installs, " "+pkg+" ") {
				t.Errorf("runtimes: %s not installed by %q", pkg, installs)
			}
		}
	})

	m := loadManifests(t)
	_, _, container := porticoPod(t, m)
	var containerPorts []string
	for _, p := range container.Ports {
		containerPorts = append(containerPorts, strconv.Itoa(int(p.ContainerPort)))
	}
	slices.Sort(containerPorts)

	for _, s := range []stage{runtimes, def} {
		t.Run(s.name+" runs portico", func(t *testing.T) {
			user := s.last(t, "user").args[0]
			uid, err := strconv.Atoi(strings.SplitN(user, ":", 2)[0])
			if err != nil || uid == 0 {
				t.Errorf("USER %s: want a numeric non-root uid (Kubernetes checks runAsNonRoot against it)", user)
			}
			if ep := s.last(t, "entrypoint"); !ep.json || !slices.Equal(ep.args, []string{imageBinary}) {
				t.Errorf("ENTRYPOINT %v (exec form %v): want [%q]", ep.args, ep.json, imageBinary)
			}
			if cmd := s.last(t, "cmd"); !cmd.json || !slices.Equal(cmd.args, []string{"serve", "--config", imageConfig}) {
				t.Errorf("CMD %v: want [serve --config %s]", cmd.args, imageConfig)
			}
			var copies []string
			for _, in := range s.all("copy") {
				copies = append(copies, strings.Join(in.flags, " ")+" "+strings.Join(in.args, " "))
			}
			for _, want := range []string{"--from=build /out/portico " + imageBinary, " deploy/configs/portico.yaml " + imageConfig} {
				if !slices.Contains(copies, want) {
					t.Errorf("COPY %q missing; have %q", want, copies)
				}
			}
			var exposed []string
			for _, in := range s.all("expose") {
				exposed = append(exposed, in.args...)
			}
			slices.Sort(exposed)
			if !slices.Equal(exposed, containerPorts) {
				t.Errorf("EXPOSE %v: want the Deployment's container ports %v", exposed, containerPorts)
			}
			if cache := s.env()["XDG_CACHE_HOME"]; !strings.HasPrefix(cache, "/home/") {
				t.Errorf("ENV XDG_CACHE_HOME %q: want a folder in the user's home, for Portico's cache", cache)
			}
		})
	}
	if !strings.HasPrefix(def.base, "gcr.io/distroless/static") {
		t.Errorf("default FROM %s: want distroless static (the binary is static)", def.base)
	}

	t.Run("sources", func(t *testing.T) {
		for _, s := range stages {
			for _, in := range s.all("copy") {
				if slices.ContainsFunc(in.flags, func(f string) bool { return strings.HasPrefix(f, "--from=") }) {
					continue
				}
				for _, src := range in.args[:len(in.args)-1] {
					if _, err := os.Stat(filepath.Join(repoRoot, src)); err != nil {
						t.Errorf("line %d: COPY source %s: %v (the context is the repository root)", in.line, src, err)
					}
				}
			}
		}
	})

	t.Run("baked config", func(t *testing.T) {
		text, err := os.ReadFile("configs/portico.yaml")
		if err != nil {
			t.Fatal(err)
		}
		cfg := parsePorticoConfig(t, text)
		for _, addr := range []string{cfg.Listen, string(cfg.Admin)} {
			if !slices.Contains(containerPorts, port(t, addr)) {
				t.Errorf("the baked config listens on %s, a port the image does not expose", addr)
			}
		}
		validateConfig(t, "portico.yaml", text, nil)
	})
}
