// helm-render renders a Helm chart the way `helm template` does, for checks where the helm
// binary cannot be had (see deploy/README.md): Go's text/template with the sprig functions
// (the engine and function library Helm itself uses) plus Helm's include, tpl, required,
// toYaml and fromYaml; values.yaml deep-merged with -f files; .Release, .Chart, .Values and
// .Capabilities as Helm fills them for `helm template`. It is not Helm: no dependencies,
// subcharts, hooks, lookup or schema files.
//
// Usage: helm-render [-f values.yaml]... [--name release] [--namespace ns] [--notes] CHART_DIR
package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig/v3"
	"github.com/ghodss/yaml"
)

type valueFiles []string

func (v *valueFiles) String() string     { return strings.Join(*v, ",") }
func (v *valueFiles) Set(s string) error { *v = append(*v, s); return nil }

func readYAML(path string) (map[string]interface{}, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string]interface{}{}
	if err := yaml.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}

// merge copies src over dst, maps merged key by key (Helm's coalescing; null deletes a key).
func merge(dst, src map[string]interface{}) {
	for k, v := range src {
		if v == nil {
			delete(dst, k)
			continue
		}
		sm, sok := v.(map[string]interface{})
		dm, dok := dst[k].(map[string]interface{})
		if sok && dok {
			merge(dm, sm)
			continue
		}
		dst[k] = v
	}
}

func toYAML(v interface{}) string {
	out, err := yaml.Marshal(v)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(out), "\n")
}

func main() {
	var files valueFiles
	name, namespace, notes, chartDir := "release-name", "default", false, ""
	args := os.Args[1:]
	for i := 0; i < len(args); i++ {
		if strings.HasPrefix(args[i], "-") && args[i] != "--notes" && i+1 >= len(args) {
			fail(fmt.Errorf("%s needs a value", args[i]))
		}
		switch args[i] {
		case "-f", "--values":
			i++
			_ = files.Set(args[i])
		case "--name":
			i++
			name = args[i]
		case "--namespace":
			i++
			namespace = args[i]
		case "--notes":
			notes = true
		default:
			chartDir = args[i]
		}
	}
	if chartDir == "" {
		fail(errors.New("usage: helm-render [-f values.yaml]... [--name release] [--namespace ns] [--notes] CHART_DIR"))
	}
	out, err := render(chartDir, files, name, namespace, notes)
	if err != nil {
		fail(err)
	}
	fmt.Print(out)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "Error:", err)
	os.Exit(1)
}

func render(chartDir string, files []string, name, namespace string, notes bool) (string, error) {
	chart, err := readYAML(filepath.Join(chartDir, "Chart.yaml"))
	if err != nil {
		return "", err
	}
	values, err := readYAML(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		return "", err
	}
	for _, f := range files {
		extra, err := readYAML(f)
		if err != nil {
			return "", err
		}
		merge(values, extra)
	}
	chartName, _ := chart["name"].(string)
	data := map[string]interface{}{
		"Values": values,
		"Chart": map[string]interface{}{
			"Name": chartName, "Version": chart["version"], "AppVersion": chart["appVersion"],
			"Description": chart["description"],
		},
		"Release": map[string]interface{}{
			"Name": name, "Namespace": namespace, "Service": "Helm", "IsInstall": true, "IsUpgrade": false, "Revision": 1,
		},
		"Capabilities": map[string]interface{}{
			"KubeVersion": map[string]interface{}{"Version": "v1.33.0", "Major": "1", "Minor": "33"},
		},
		"Template": map[string]interface{}{"BasePath": chartName + "/templates"},
	}

	tpl := template.New(chartName).Option("missingkey=zero")
	funcs := sprig.TxtFuncMap()
	delete(funcs, "env")
	delete(funcs, "expandenv")
	funcs["toYaml"] = toYAML
	funcs["fromYaml"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := yaml.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	funcs["include"] = func(n string, d interface{}) (string, error) {
		var buf bytes.Buffer
		err := tpl.ExecuteTemplate(&buf, n, d)
		return buf.String(), err
	}
	funcs["tpl"] = func(s string, d interface{}) (string, error) {
		t, err := tpl.Clone()
		if err != nil {
			return "", err
		}
		t, err = t.New("tpl").Parse(s)
		if err != nil {
			return "", err
		}
		var buf bytes.Buffer
		err = t.Execute(&buf, d)
		return buf.String(), err
	}
	funcs["required"] = func(msg string, v interface{}) (interface{}, error) {
		if v == nil || v == "" {
			return nil, errors.New(msg)
		}
		return v, nil
	}
	tpl.Funcs(funcs)

	dir := filepath.Join(chartDir, "templates")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return "", err
		}
		full := chartName + "/templates/" + e.Name()
		if _, err := tpl.New(full).Parse(string(raw)); err != nil {
			return "", err
		}
		names = append(names, full)
	}
	sort.Strings(names)
	var out strings.Builder
	for _, n := range names {
		base := filepath.Base(n)
		if strings.HasPrefix(base, "_") || (base == "NOTES.txt") != notes {
			continue
		}
		var buf bytes.Buffer
		if err := tpl.ExecuteTemplate(&buf, n, data); err != nil {
			return "", err
		}
		text := strings.TrimSpace(buf.String())
		if text == "" {
			continue
		}
		if notes {
			out.WriteString(text + "\n")
			continue
		}
		fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", n, text)
	}
	return out.String(), nil
}
