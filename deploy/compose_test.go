package deploy

import (
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// composeFile is the part of compose.yaml the checks below read; compose
// itself has many more keys, so it is decoded leniently.
type composeFile struct {
	Services map[string]struct {
		Build *struct {
			Context    string `json:"context"`
			Dockerfile string `json:"dockerfile"`
		} `json:"build"`
		Image   string   `json:"image"`
		Command []string `json:"command"`
		Deploy  *struct {
			Replicas int `json:"replicas"`
		} `json:"deploy"`
		Environment map[string]string `json:"environment"`
		Volumes     []string          `json:"volumes"`
		Ports       []string          `json:"ports"`
		ReadOnly    bool              `json:"read_only"`
		Tmpfs       []string          `json:"tmpfs"`
	} `json:"services"`
}

// nginx.conf's upstream blocks and listen ports.
var (
	nginxUpstream = regexp.MustCompile(`upstream\s+(\w+)\s*\{([^}]*)\}`)
	nginxServer   = regexp.MustCompile(`server\s+([^\s;]+)`)
	nginxListen   = regexp.MustCompile(`(?m)^\s*listen\s+(\d+);`)
)

// mount is the container path a compose volume "SRC:DST[:ro]" mounts SRC
// at, or "" when none mounts SRC.
func mount(volumes []string, src string) string {
	for _, v := range volumes {
		parts := strings.Split(v, ":")
		if len(parts) >= 2 && parts[0] == src {
			return parts[1]
		}
	}
	return ""
}

func TestCompose(t *testing.T) {
	text, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	if err := yaml.Unmarshal(text, &c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	portico, redis, nginx := c.Services["portico"], c.Services["redis"], c.Services["nginx"]
	if portico.Build == nil || redis.Image == "" || nginx.Image == "" {
		t.Fatalf("compose.yaml: want the services portico (built), redis and nginx")
	}

	if portico.Deploy == nil || portico.Deploy.Replicas != 2 {
		t.Errorf("portico: want deploy.replicas: 2")
	}
	if df := filepath.Join(portico.Build.Context, portico.Build.Dockerfile); filepath.Clean(df) != filepath.Join(repoRoot, "deploy", "Dockerfile") {
		t.Errorf("portico build: context %s dockerfile %s: want the repository root and deploy/Dockerfile", portico.Build.Context, portico.Build.Dockerfile)
	}
	const configSrc = "./configs/replicas.yaml"
	if got := mount(portico.Volumes, configSrc); got != imageConfig {
		t.Errorf("portico: %s mounted at %q, want %s", configSrc, got, imageConfig)
	}
	if !slices.Equal(portico.Command, []string{"serve", "--config", imageConfig}) {
		t.Errorf("portico command %v: want serve --config %s", portico.Command, imageConfig)
	}
	_, stages := parseDockerfile(t, "Dockerfile")
	cache := stages[len(stages)-1].env()["XDG_CACHE_HOME"]
	if !portico.ReadOnly || !slices.Contains(portico.Tmpfs, "/tmp") || cache == "" || !slices.Contains(portico.Tmpfs, cache) {
		t.Errorf("portico: want read_only with tmpfs on /tmp and the image's XDG_CACHE_HOME %q; got %v", cache, portico.Tmpfs)
	}
	u, err := url.Parse(portico.Environment["REDIS_URL"])
	if err != nil || u.Hostname() != "redis" {
		t.Errorf("portico REDIS_URL %q: want the redis service", portico.Environment["REDIS_URL"])
	}

	config, err := os.ReadFile(configSrc)
	if err != nil {
		t.Fatal(err)
	}
	cfg := parsePorticoConfig(t, config)
	if cfg.Redis == nil || cfg.InvokeAPI == nil {
		t.Fatal("configs/replicas.yaml: want redis and invokeApi")
	}

	// nginx balances over the replicas' listen and Invoke API ports, and
	// publishes the ports it listens on.
	if got := mount(nginx.Volumes, "./nginx.conf"); got != "/etc/nginx/nginx.conf" {
		t.Errorf("nginx: ./nginx.conf mounted at %q", got)
	}
	conf, err := os.ReadFile("nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	var upstreams []string
	for _, u := range nginxUpstream.FindAllSubmatch(conf, -1) {
		for _, s := range nginxServer.FindAllSubmatch(u[2], -1) {
			upstreams = append(upstreams, string(s[1]))
		}
	}
	slices.Sort(upstreams)
	want := []string{"portico:" + port(t, cfg.InvokeAPI.Listen), "portico:" + port(t, cfg.Listen)}
	slices.Sort(want)
	if !slices.Equal(upstreams, want) {
		t.Errorf("nginx.conf upstream servers %v: want %v", upstreams, want)
	}
	var published []string
	for _, l := range nginxListen.FindAllSubmatch(conf, -1) {
		// On this machine's loopback only: the defaults hold a known secret.
		published = append(published, "127.0.0.1:"+string(l[1])+":"+string(l[1]))
	}
	if !slices.Equal(slices.Sorted(slices.Values(nginx.Ports)), slices.Sorted(slices.Values(published))) {
		t.Errorf("nginx ports %v: want its listen ports published as %v", nginx.Ports, published)
	}

	validateConfig(t, "replicas.yaml", config, map[string]string{"REDIS_URL": portico.Environment["REDIS_URL"]})
}
