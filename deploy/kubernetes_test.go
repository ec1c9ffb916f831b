package deploy

import (
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Names the manifests give their objects.
const (
	porticoName = "portico"
	redisName   = "portico-redis"
	configName  = "portico-config"
	configKey   = "portico.yaml"
	keysName    = "portico-keys"
)

// minGraceMargin is the least time the grace period leaves after preStop
// and the drain, for closing functions and Redis before SIGKILL.
const minGraceMargin = 5 * time.Second

// porticoPod returns the Deployment of the replicas, its pod spec and its
// one container.
func porticoPod(t *testing.T, m *manifests) (*appsv1.Deployment, *corev1.PodSpec, *corev1.Container) {
	t.Helper()
	d := m.deployments[porticoName]
	if d == nil {
		t.Fatalf("no Deployment %s", porticoName)
	}
	spec := &d.Spec.Template.Spec
	if len(spec.Containers) != 1 {
		t.Fatalf("Deployment %s: %d containers, want 1", porticoName, len(spec.Containers))
	}
	return d, spec, &spec.Containers[0]
}

// porticoConfigText is the config the ConfigMap carries under configKey.
func porticoConfigText(t *testing.T, m *manifests) string {
	t.Helper()
	cm := m.configMaps[configName]
	if cm == nil || cm.Data[configKey] == "" {
		t.Fatalf("ConfigMap %s has no %s", configName, configKey)
	}
	return cm.Data[configKey]
}

// containerPort resolves a probe's or a Service's target port, by name or
// number, to a port the container declares; 0 if it declares none.
func containerPort(c *corev1.Container, p intstr.IntOrString) int32 {
	for _, cp := range c.Ports {
		if (p.Type == intstr.String && cp.Name == p.StrVal) || (p.Type == intstr.Int && cp.ContainerPort == p.IntVal) {
			return cp.ContainerPort
		}
	}
	return 0
}

func selects(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// TestServicesSelectTheirPods checks each Service and the PDB select the
// pods of one Deployment, and that each Deployment's selector matches its
// own template.
func TestServicesSelectTheirPods(t *testing.T) {
	m := loadManifests(t)
	for name, d := range m.deployments {
		if !selects(d.Spec.Selector.MatchLabels, d.Spec.Template.Labels) {
			t.Errorf("Deployment %s: selector %v does not match its pods' labels %v", name, d.Spec.Selector.MatchLabels, d.Spec.Template.Labels)
		}
	}
	for _, c := range []struct{ service, deployment string }{{porticoName, porticoName}, {redisName, redisName}} {
		svc, d := m.services[c.service], m.deployments[c.deployment]
		if svc == nil || d == nil {
			t.Fatalf("Service or Deployment %s missing", c.service)
		}
		for name, other := range m.deployments {
			if got, want := selects(svc.Spec.Selector, other.Spec.Template.Labels), name == c.deployment; got != want {
				t.Errorf("Service %s selects the pods of Deployment %s: %v, want %v", c.service, name, got, want)
			}
		}
		container := &d.Spec.Template.Spec.Containers[0]
		for _, p := range svc.Spec.Ports {
			if containerPort(container, p.TargetPort) == 0 {
				t.Errorf("Service %s port %s: targetPort %s is no port of Deployment %s's container", c.service, p.Name, p.TargetPort.String(), c.deployment)
			}
		}
	}
	_, _, _ = porticoPod(t, m)
	pdb := m.pdbs[porticoName]
	if !selects(pdb.Spec.Selector.MatchLabels, m.deployments[porticoName].Spec.Template.Labels) ||
		selects(pdb.Spec.Selector.MatchLabels, m.deployments[redisName].Spec.Template.Labels) {
		t.Errorf("PodDisruptionBudget %s: selector %v must match the replicas' pods only", porticoName, pdb.Spec.Selector.MatchLabels)
	}
}

// TestPortsMatchTheConfig checks the container ports, the probes and the
// Redis Service against the addresses in the ConfigMap's config.
func TestPortsMatchTheConfig(t *testing.T) {
	m := loadManifests(t)
	_, _, c := porticoPod(t, m)
	cfg := parsePorticoConfig(t, []byte(porticoConfigText(t, m)))
	if cfg.InvokeAPI == nil || cfg.Redis == nil {
		t.Fatalf("the ConfigMap's config needs invokeApi and redis")
	}
	for _, p := range []struct{ name, addr string }{
		{"http", cfg.Listen}, {"admin", string(cfg.Admin)}, {"invoke", cfg.InvokeAPI.Listen},
	} {
		got := containerPort(c, intstr.FromString(p.name))
		if strconv.Itoa(int(got)) != port(t, p.addr) {
			t.Errorf("container port %q: got %d, want the config's %s", p.name, got, p.addr)
		}
		if !strings.HasPrefix(p.addr, "0.0.0.0:") && !strings.HasPrefix(p.addr, ":") {
			t.Errorf("config address %s: a pod's listener must not be bound to loopback", p.addr)
		}
	}

	adminPort := port(t, string(cfg.Admin))
	for _, p := range []struct {
		kind, path string
		probe      *corev1.Probe
	}{{"readiness", "/readyz", c.ReadinessProbe}, {"liveness", "/healthz", c.LivenessProbe}} {
		if p.probe == nil || p.probe.HTTPGet == nil {
			t.Errorf("%s probe: want an httpGet on %s", p.kind, p.path)
			continue
		}
		if got := p.probe.HTTPGet.Path; got != p.path {
			t.Errorf("%s probe path: got %s, want %s", p.kind, got, p.path)
		}
		if got := containerPort(c, p.probe.HTTPGet.Port); strconv.Itoa(int(got)) != adminPort {
			t.Errorf("%s probe port: got %d (%s), want the admin port %s", p.kind, got, p.probe.HTTPGet.Port.String(), adminPort)
		}
	}

	u, err := url.Parse(cfg.Redis.URL)
	if err != nil {
		t.Fatalf("redis.url: %v", err)
	}
	svc := m.services[redisName]
	if u.Hostname() != svc.Name {
		t.Errorf("redis.url host %s: want the Service %s", u.Hostname(), svc.Name)
	}
	if len(svc.Spec.Ports) != 1 || strconv.Itoa(int(svc.Spec.Ports[0].Port)) != u.Port() {
		t.Errorf("redis.url port %s: want the Service %s's port %v", u.Port(), svc.Name, svc.Spec.Ports)
	}
}

// TestConfigIsMountedWhereServeReadsIt follows the config from the
// ConfigMap's key through the volume and its mount to --config.
func TestConfigIsMountedWhereServeReadsIt(t *testing.T) {
	m := loadManifests(t)
	_, spec, c := porticoPod(t, m)
	configArg := ""
	for i, a := range c.Args {
		if a == "--config" && i+1 < len(c.Args) {
			configArg = c.Args[i+1]
		}
	}
	if c.Args[0] != "serve" || configArg == "" {
		t.Fatalf("args %v: want serve --config FILE", c.Args)
	}
	var mounted []string
	for _, v := range spec.Volumes {
		if v.ConfigMap == nil || v.ConfigMap.Name != configName {
			continue
		}
		for _, vm := range c.VolumeMounts {
			if vm.Name != v.Name {
				continue
			}
			for _, item := range v.ConfigMap.Items {
				if _, ok := m.configMaps[configName].Data[item.Key]; !ok {
					t.Errorf("volume %s: key %s is not in ConfigMap %s", v.Name, item.Key, configName)
				}
				if item.Key == configKey {
					mounted = append(mounted, path.Join(vm.MountPath, vm.SubPath, item.Path))
				}
			}
		}
	}
	if !slices.Contains(mounted, configArg) {
		t.Errorf("--config %s: the ConfigMap's %s is mounted at %v", configArg, configKey, mounted)
	}
}

// TestGracePeriodCoversTheDrain checks the pod is given preStop plus the
// config's limits.drainTimeout plus a margin before SIGKILL.
func TestGracePeriodCoversTheDrain(t *testing.T) {
	m := loadManifests(t)
	_, spec, c := porticoPod(t, m)
	drain := parsePorticoConfig(t, []byte(porticoConfigText(t, m))).drainTimeout(t)
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil {
		t.Fatal("preStop: want a sleep, so the pod leaves the endpoints before SIGTERM")
	}
	preStop := time.Duration(c.Lifecycle.PreStop.Sleep.Seconds) * time.Second
	if preStop <= 0 {
		t.Errorf("preStop sleep %v: want more than 0", preStop)
	}
	if spec.TerminationGracePeriodSeconds == nil {
		t.Fatal("terminationGracePeriodSeconds is not set (the default 30s ignores the drain)")
	}
	grace := time.Duration(*spec.TerminationGracePeriodSeconds) * time.Second
	if want := preStop + drain + minGraceMargin; grace < want {
		t.Errorf("terminationGracePeriodSeconds %v: want at least preStop %v + drainTimeout %v + %v", grace, preStop, drain, minGraceMargin)
	}
}

// TestSecretsReachTheConfig checks every ${VAR} the config needs is set
// from a key the Secret has.
func TestSecretsReachTheConfig(t *testing.T) {
	m := loadManifests(t)
	_, _, c := porticoPod(t, m)
	env := map[string]string{}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil:
			ref := e.ValueFrom.SecretKeyRef
			s := m.secrets[ref.Name]
			if s == nil {
				t.Errorf("env %s: no Secret %s", e.Name, ref.Name)
				continue
			}
			v, ok := s.StringData[ref.Key]
			if !ok {
				t.Errorf("env %s: Secret %s has no key %s", e.Name, ref.Name, ref.Key)
			}
			env[e.Name] = v
		case e.ValueFrom == nil:
			env[e.Name] = e.Value
		}
	}
	text := porticoConfigText(t, m)
	vars := envVars(text)
	if len(vars) == 0 {
		t.Error("the config reads no ${VAR}: the Invoke API credentials come from the Secret")
	}
	for _, name := range vars {
		if _, ok := env[name]; !ok {
			t.Errorf("the config reads ${%s}, which the container's env does not set", name)
		}
	}
	validateConfig(t, configKey, []byte(text), env)
}

// TestPodsAreLockedDown checks each container runs as non-root on a
// read-only root with no capabilities, and that Portico's cache and /tmp
// are writable volumes.
func TestPodsAreLockedDown(t *testing.T) {
	m := loadManifests(t)
	for name, d := range m.deployments {
		spec := d.Spec.Template.Spec
		if sc := spec.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser == 0 {
			t.Errorf("Deployment %s: want runAsNonRoot and a non-zero runAsUser in the pod's securityContext", name)
		}
		if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
			t.Errorf("Deployment %s: want automountServiceAccountToken: false (Portico calls no Kubernetes API)", name)
		}
		for _, c := range spec.Containers {
			sc := c.SecurityContext
			if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
				sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
				sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
				t.Errorf("Deployment %s container %s: want readOnlyRootFilesystem, no privilege escalation, capabilities dropped: ALL", name, c.Name)
			}
			if c.Resources.Requests.Cpu().IsZero() {
				t.Errorf("Deployment %s container %s: no CPU request (the HPA's utilization is relative to it)", name, c.Name)
			}
		}
	}

	_, spec, c := porticoPod(t, m)
	cache := ""
	for _, e := range c.Env {
		if e.Name == "XDG_CACHE_HOME" {
			cache = e.Value
		}
	}
	if cache == "" {
		t.Error("XDG_CACHE_HOME is not set: Portico's cache (os.UserCacheDir()/portico) would be on the read-only root")
	}
	emptyDirs := map[string]bool{}
	for _, v := range spec.Volumes {
		if v.EmptyDir != nil {
			emptyDirs[v.Name] = true
		}
	}
	for _, dir := range []string{cache, "/tmp"} {
		ok := false
		for _, vm := range c.VolumeMounts {
			if emptyDirs[vm.Name] && !vm.ReadOnly && (dir == vm.MountPath || strings.HasPrefix(dir, vm.MountPath+"/")) {
				ok = true
			}
		}
		if !ok {
			t.Errorf("%s is on no writable emptyDir", dir)
		}
	}
}

// TestReplicasScaleAndSurviveDisruptions checks the HPA scales the
// replicas' Deployment from at least two, and the PDB keeps one up.
func TestReplicasScaleAndSurviveDisruptions(t *testing.T) {
	m := loadManifests(t)
	d, _, _ := porticoPod(t, m)
	if d.Spec.Replicas == nil || *d.Spec.Replicas < 2 {
		t.Errorf("Deployment %s: want 2 replicas or more", porticoName)
	}
	h := m.hpas[porticoName]
	ref := h.Spec.ScaleTargetRef
	if ref.APIVersion != "apps/v1" || ref.Kind != "Deployment" || ref.Name != porticoName {
		t.Errorf("HPA scaleTargetRef %+v: want the Deployment %s", ref, porticoName)
	}
	if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas < 2 || h.Spec.MaxReplicas < *h.Spec.MinReplicas {
		t.Errorf("HPA replicas %v..%d: want a minimum of 2 and a maximum above it", h.Spec.MinReplicas, h.Spec.MaxReplicas)
	}
	if len(h.Spec.Metrics) == 0 {
		t.Error("HPA: no metrics")
	}
	pdb := m.pdbs[porticoName]
	if pdb.Spec.MinAvailable == nil || pdb.Spec.MinAvailable.IntValue() < 1 || pdb.Spec.MinAvailable.IntValue() >= int(*h.Spec.MinReplicas) {
		t.Errorf("PDB minAvailable %v: want at least 1 and fewer than the HPA's minimum, or no node could be drained", pdb.Spec.MinAvailable)
	}
}
