package deploy

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// manifestDir holds the Kubernetes manifests, one or more objects a file.
const manifestDir = "kubernetes"

// manifests are the objects of manifestDir, by kind and name.
type manifests struct {
	deployments map[string]*appsv1.Deployment
	services    map[string]*corev1.Service
	configMaps  map[string]*corev1.ConfigMap
	secrets     map[string]*corev1.Secret
	hpas        map[string]*autoscalingv2.HorizontalPodAutoscaler
	pdbs        map[string]*policyv1.PodDisruptionBudget
	files       []string // the files that hold them, sorted
}

// newObject is the API type of each apiVersion and kind the manifests may
// use: another is an error, as a typo in either would be on a cluster.
func (m *manifests) newObject(apiVersion, kind string) (obj any, add func(name string) error) {
	switch apiVersion + " " + kind {
	case "apps/v1 Deployment":
		d := &appsv1.Deployment{}
		return d, func(name string) error { return addNew(m.deployments, name, d) }
	case "v1 Service":
		s := &corev1.Service{}
		return s, func(name string) error { return addNew(m.services, name, s) }
	case "v1 ConfigMap":
		c := &corev1.ConfigMap{}
		return c, func(name string) error { return addNew(m.configMaps, name, c) }
	case "v1 Secret":
		s := &corev1.Secret{}
		return s, func(name string) error { return addNew(m.secrets, name, s) }
	case "autoscaling/v2 HorizontalPodAutoscaler":
		h := &autoscalingv2.HorizontalPodAutoscaler{}
		return h, func(name string) error { return addNew(m.hpas, name, h) }
	case "policy/v1 PodDisruptionBudget":
		p := &policyv1.PodDisruptionBudget{}
		return p, func(name string) error { return addNew(m.pdbs, name, p) }
	}
	return nil, nil
}

func addNew[T any](m map[string]T, name string, v T) error {
	if _, dup := m[name]; dup {
		return fmt.Errorf("a second object named %q", name)
	}
	m[name] = v
	return nil
}

// docSeparator splits a YAML stream into its documents.
var docSeparator = regexp.MustCompile(`(?m)^---[ \t]*$`)

// loadManifests decodes every object in manifestDir strictly into its API
// type: an unknown or misspelt field fails, as `kubectl apply
// --validate=strict` would. kustomization.yaml is not an object.
func loadManifests(t *testing.T) *manifests {
	t.Helper()
	m := &manifests{
		deployments: map[string]*appsv1.Deployment{},
		services:    map[string]*corev1.Service{},
		configMaps:  map[string]*corev1.ConfigMap{},
		secrets:     map[string]*corev1.Secret{},
		hpas:        map[string]*autoscalingv2.HorizontalPodAutoscaler{},
		pdbs:        map[string]*policyv1.PodDisruptionBudget{},
	}
	files, err := filepath.Glob(filepath.Join(manifestDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in %s: %v", manifestDir, err)
	}
	for _, file := range files {
		if filepath.Base(file) == "kustomization.yaml" {
			continue
		}
		m.files = append(m.files, filepath.Base(file))
		text, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range docSeparator.Split(string(text), -1) {
			if len(bytes.TrimSpace(stripComments([]byte(doc)))) == 0 {
				continue
			}
			if err := m.decode([]byte(doc)); err != nil {
				t.Errorf("%s: document %d: %v", file, i+1, err)
			}
		}
	}
	return m
}

func (m *manifests) decode(doc []byte) error {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		return err
	}
	obj, add := m.newObject(tm.APIVersion, tm.Kind)
	if obj == nil {
		return fmt.Errorf("apiVersion %q kind %q: not a kind these manifests use", tm.APIVersion, tm.Kind)
	}
	if err := yaml.UnmarshalStrict(doc, obj); err != nil {
		return fmt.Errorf("%s: %w", tm.Kind, err)
	}
	meta, err := objectMeta(obj)
	if err != nil {
		return err
	}
	if meta.Name == "" {
		return fmt.Errorf("%s without metadata.name", tm.Kind)
	}
	if err := add(meta.Name); err != nil {
		return fmt.Errorf("%s: %w", tm.Kind, err)
	}
	return nil
}

func objectMeta(obj any) (*metav1.ObjectMeta, error) {
	if o, ok := obj.(interface{ GetObjectMeta() metav1.Object }); ok {
		if meta, ok := o.GetObjectMeta().(*metav1.ObjectMeta); ok {
			return meta, nil
		}
	}
	return nil, fmt.Errorf("BUG: %T has no ObjectMeta", obj)
}

var commentLine = regexp.MustCompile(`(?m)^[ \t]*#.*$`)

func stripComments(doc []byte) []byte { return commentLine.ReplaceAll(doc, nil) }

// TestManifestsDecodeStrictly decodes every manifest and checks the
// objects the deployment needs are there, and that kustomization.yaml
// lists exactly the manifest files.
func TestManifestsDecodeStrictly(t *testing.T) {
	m := loadManifests(t)
	want := []struct {
		kind string
		have bool
	}{
		{"Deployment portico", m.deployments["portico"] != nil},
		{"Deployment portico-redis", m.deployments["portico-redis"] != nil},
		{"Service portico", m.services["portico"] != nil},
		{"Service portico-redis", m.services["portico-redis"] != nil},
		{"ConfigMap portico-config", m.configMaps["portico-config"] != nil},
		{"Secret portico-keys", m.secrets["portico-keys"] != nil},
		{"HorizontalPodAutoscaler portico", m.hpas["portico"] != nil},
		{"PodDisruptionBudget portico", m.pdbs["portico"] != nil},
	}
	for _, w := range want {
		if !w.have {
			t.Errorf("missing %s", w.kind)
		}
	}

	text, err := os.ReadFile(filepath.Join(manifestDir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k struct {
		APIVersion string   `json:"apiVersion"`
		Kind       string   `json:"kind"`
		Resources  []string `json:"resources"`
	}
	if err := yaml.UnmarshalStrict(text, &k); err != nil {
		t.Fatalf("kustomization.yaml: %v", err)
	}
	got := slices.Sorted(slices.Values(k.Resources))
	if !slices.Equal(got, m.files) {
		t.Errorf("kustomization.yaml resources: got %v, want every manifest file %v", got, m.files)
	}
}

// TestStrictDecodingRefusesUnknownFields shows the decoding above fails on
// a misspelt field, so the test before it can fail.
func TestStrictDecodingRefusesUnknownFields(t *testing.T) {
	m := &manifests{deployments: map[string]*appsv1.Deployment{}}
	doc := []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {replica: 2}\n")
	if err := m.decode(doc); err == nil {
		t.Fatal("a Deployment with spec.replica (for replicas) decoded without error")
	}
	if err := m.decode([]byte("apiVersion: apps/v1beta1\nkind: Deployment\nmetadata: {name: x}\n")); err == nil {
		t.Fatal("an apps/v1beta1 Deployment decoded without error")
	}
}
