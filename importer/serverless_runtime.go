package importer

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Runtime names Portico runs, by family, oldest first: a serverless.yml's
// older or newer name runs on the nearest of them (Portico runs the local
// interpreter in any case, with a warning when its version differs).
var (
	nodeRuntimes   = []int{18, 20, 22, 24}
	pythonRuntimes = []int{9, 10, 11, 12, 13, 14}
)

// setCode makes fn a local process running the function's handler:
// Lambda's runtime name, the service folder (or the package artifact) as
// code:, and the handler string. It returns false for what cannot run
// locally.
func (s *slsImport) setCode(name, path string, fn *Function, keyNode, handler, runtime, artifact *yaml.Node) bool {
	h, _ := scalar(handler)
	if h == "" {
		return false
	}
	rt, ok := scalar(runtime)
	if !ok {
		rt = "nodejs18.x"
		s.note(keyNode, path, "no runtime given: the Framework's default Node.js runtime, run as nodejs18.x")
	}
	code := "."
	if a, ok := scalar(artifact); ok {
		code = filepath.ToSlash(filepath.Clean(a))
	}
	rtNode, rtPath := runtime, path+".runtime"
	if rtNode == nil {
		rtNode = keyNode
	} else if runtime == s.runtime {
		rtPath = "provider.runtime"
	}
	switch {
	case rt == "go1.x":
		fn.Runtime = "go"
		fn.Code = s.goPackage(h, path, handler)
		return true
	case strings.HasPrefix(rt, "provided"):
		fn.Runtime, fn.Code, fn.Handler = rt, code, h
		if rt == "provided" {
			fn.Runtime = "provided.al2023"
			s.note(rtNode, rtPath, "provided (Amazon Linux 1) runs as provided.al2023: the package's bootstrap runs on the local machine")
		}
		return true
	case strings.HasPrefix(rt, "nodejs"):
		major, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(rt, "nodejs"), ".x"))
		if err != nil {
			major, _ = strconv.Atoi(strings.SplitN(strings.TrimPrefix(rt, "nodejs"), ".", 2)[0]) // nodejs8.10
		}
		fn.Runtime = "nodejs" + strconv.Itoa(nearest(nodeRuntimes, major)) + ".x"
	case strings.HasPrefix(rt, "python3."):
		minor, _ := strconv.Atoi(strings.TrimPrefix(rt, "python3."))
		fn.Runtime = "python3." + strconv.Itoa(nearest(pythonRuntimes, minor))
	default:
		return false // java, dotnet, ruby, python2.7…
	}
	if fn.Runtime != rt {
		s.note(rtNode, rtPath, "%s is not among Portico's runtimes: run as %s", rt, fn.Runtime)
	}
	fn.Code = code
	fn.Handler = strings.TrimPrefix(h, "./")
	return true
}

// nearest is the element of sorted vs nearest to v: the first above it
// when v is older than them all, the last when newer.
func nearest(vs []int, v int) int {
	for _, x := range vs {
		if x >= v {
			return x
		}
	}
	return vs[len(vs)-1]
}

// goPackage finds the folder of the Go main package a go1.x handler was
// built from, relative to the service folder. A go1.x handler names the
// built executable (bin/hello), or, for some tools, the main file
// (hello/main.go); the package is found from, in order: the file's folder;
// the Makefile's `go build -o HANDLER PACKAGE`; a folder named as the
// executable (hello, cmd/hello, functions/hello, src/hello) holding .go
// files; the handler's own folder holding .go files. Otherwise code: is
// the service folder, with a note.
func (s *slsImport) goPackage(h, path string, at *yaml.Node) string {
	h = filepath.ToSlash(filepath.Clean(h))
	if strings.HasSuffix(h, ".go") {
		return filepath.ToSlash(filepath.Dir(h))
	}
	if pkg, ok := s.makefilePackage(h); ok {
		return pkg
	}
	base := filepath.Base(h)
	for _, cand := range []string{base, "cmd/" + base, "functions/" + base, "src/" + base, filepath.Dir(h)} {
		if hasGoFiles(filepath.Join(s.dir, cand)) {
			return filepath.ToSlash(filepath.Clean(cand))
		}
	}
	s.note(at, path+".handler", "go1.x handler %s: its Go package was not found (no Makefile rule builds it, no folder %s holds .go files): code: is the service folder, set it to the main package's folder", h, base)
	return "."
}

// makefilePackage reads the service's Makefile for the go build that
// writes h and returns the package it builds.
func (s *slsImport) makefilePackage(h string) (string, bool) {
	data, err := os.ReadFile(filepath.Join(s.dir, "Makefile"))
	if err != nil {
		return "", false
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if !strings.Contains(line, "go build") {
			continue
		}
		out, pkg := goBuildArgs(shellWords(line))
		if out != "" && filepath.ToSlash(filepath.Clean(out)) == h && pkg != "" {
			pkg = filepath.ToSlash(filepath.Clean(pkg))
			if strings.HasSuffix(pkg, ".go") {
				pkg = filepath.ToSlash(filepath.Dir(pkg))
			}
			return pkg, true
		}
	}
	return "", false
}

// goBuildArgs reads the -o output and the first package or file of the
// `go build` in words.
func goBuildArgs(words []string) (out, pkg string) {
	i := 0
	for i+1 < len(words) && !(words[i] == "go" && words[i+1] == "build") {
		i++
	}
	if i+1 >= len(words) {
		return "", ""
	}
	valued := map[string]bool{"-o": true, "-ldflags": true, "-tags": true, "-gcflags": true, "-asmflags": true,
		"-mod": true, "-p": true, "-buildmode": true, "-trimpath": false, "-C": true, "-modfile": true, "-overlay": true, "-pgo": true}
	for j := i + 2; j < len(words); j++ {
		w := words[j]
		switch {
		case w == "&&" || w == ";" || w == "|":
			return out, pkg
		case w == "-o" && j+1 < len(words):
			out = words[j+1]
			j++
		case strings.HasPrefix(w, "-o="):
			out = strings.TrimPrefix(w, "-o=")
		case strings.HasPrefix(w, "-"):
			if valued[w] && !strings.Contains(w, "=") {
				j++
			}
		case pkg == "":
			pkg = w
		}
	}
	return out, pkg
}

// shellWords splits a command line into words, quotes removed.
func shellWords(line string) []string {
	var words []string
	var cur strings.Builder
	in := false
	var quote byte
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case c == '\'' || c == '"':
			quote, in = c, true
		case c == ' ' || c == '\t':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if in {
		words = append(words, cur.String())
	}
	return words
}

func hasGoFiles(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".go") && !strings.HasSuffix(e.Name(), "_test.go") {
			return true
		}
	}
	return false
}
