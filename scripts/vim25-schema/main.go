// vim25-schema: writes src/lib/vsphere/soap/schema.generated.ts, the wire kinds of
// the vim25 (and PBM, CNS, vSAN) data object fields vk decodes, derived by
// reflection from govmomi's generated Go types rather than kept by hand.
//
// It starts from the root types below, follows their fields and base types
// (and, for a root marked so, every type derived from it) and prints, for
// each type of that closure, the fields whose kind is not the decoder's
// default: arrays, numbers, booleans, dateTime, references, anyType, and
// data objects that themselves have such fields. A string or enum field
// decodes as text, so it is left out; so is a type with nothing to say.
//
// The types come from govmomi's type registry (the names SOAP puts in
// xsi:type): pbm and vsan register theirs with a "pbm:"/"vsan:" prefix,
// which the wire does not carry and the output drops.
//
// Run through scripts/vim25-schema.mjs (npm run schema), which formats the
// output and, with --check, fails when the checked-in file differs.
package main

import (
	"fmt"
	"os"
	"reflect"
	"runtime/debug"
	"sort"
	"strings"
	"time"
	_ "unsafe" // go:linkname, to read the registry's map

	_ "github.com/vmware/govmomi/cns/types"
	_ "github.com/vmware/govmomi/pbm/types"
	"github.com/vmware/govmomi/vim25/types"
	_ "github.com/vmware/govmomi/vsan/types"
)

// The registry behind types.TypeFunc(): every type name the vim25, pbm, cns
// and vsan packages registered (TypeFunc looks one up but cannot list them).
//
//go:linkname registry github.com/vmware/govmomi/vim25/types.t
var registry map[string]reflect.Type

// root is a type vk decodes; subtypes says whether the wire may carry any
// type derived from it in its place (a polymorphic property value).
type root struct {
	name     string
	subtypes bool
}

// What vk reads, by the file that reads it (src/lib/vsphere/…).
var roots = []root{
	// client.ts, session.ts, property-collector.ts, task.ts, vm.ts
	{name: "ServiceContent"},
	{name: "UserSession"},
	{name: "RetrieveResult"},
	{name: "UpdateSet"},
	{name: "TaskInfo"},
	// datastores.ts: summary, info (any DatastoreInfo), host
	{name: "DatastoreSummary"},
	{name: "DatastoreInfo", subtypes: true},
	{name: "DatastoreHostMount"},
	// extra-config.ts, vm.ts and the node steps: config.extraConfig, guest.net, config.product
	{name: "OptionValue"},
	{name: "GuestNicInfo"},
	{name: "VAppProductInfo"},
	// authorization.ts
	{name: "AuthorizationRole"},
	{name: "Permission"},
	{name: "UserSearchResult"},
	{name: "EntityPrivilege"},
	// vsan.ts
	{name: "VsanConfigInfoEx"},
	// pbm.ts
	{name: "PbmServiceInstanceContent"},
	{name: "PbmProfileId"},
	{name: "PbmProfile", subtypes: true},
	// cns.ts
	{name: "CnsQueryResult"},
	// faults.ts and its callers: the faults whose fields vk reads or whose type it matches
	{name: "LocalizedMethodFault"},
	{name: "NoPermission"},
	{name: "NotAuthenticated"},
	{name: "InvalidLogin"},
	{name: "ManagedObjectNotFound"},
	{name: "InvalidArgument"},
	{name: "InvalidState"},
	{name: "InvalidPowerState"},
	{name: "InvalidProperty"},
	{name: "UserNotFound"},
	{name: "AlreadyExists"},
	{name: "DuplicateName"},
}

var (
	moRef      = reflect.TypeOf(types.ManagedObjectReference{})
	dateTime   = reflect.TypeOf(time.Time{})
	dynamic    = reflect.TypeOf(types.DynamicData{})
	wireByType = map[reflect.Type]string{}
	typeByWire = map[string]reflect.Type{}
)

type field struct {
	name  string
	kind  string // a primitive kind, or a type name when object
	obj   bool   // kind names a data object
	array bool
}

type typeInfo struct {
	base   string
	fields []field
}

func main() {
	// vim25's own names first: vsan also declares a few of vim25's types
	// (VsanFileShareNetPermission…), which then must not differ.
	registered := make([]string, 0, len(registry))
	for name, t := range registry {
		if t.Kind() == reflect.Struct && !strings.HasSuffix(name, "RequestType") {
			registered = append(registered, name)
		}
	}
	sort.Slice(registered, func(i, j int) bool {
		pi, pj := strings.Contains(registered[i], ":"), strings.Contains(registered[j], ":")
		return pi != pj && !pi || pi == pj && registered[i] < registered[j]
	})
	twins := map[string][]reflect.Type{}
	for _, name := range registered {
		t := registry[name]
		wire := name[strings.Index(name, ":")+1:]
		if first, ok := typeByWire[wire]; ok {
			twins[wire] = append(twins[wire], first, t)
		} else {
			typeByWire[wire] = t
		}
		wireByType[t] = wire
	}

	closure := map[string]*typeInfo{}
	var visit func(string)
	visit = func(name string) {
		if _, done := closure[name]; done {
			return
		}
		t, ok := typeByWire[name]
		if !ok {
			fail("type %s is not in govmomi's registry", name)
		}
		info := describe(t)
		closure[name] = info
		if info.base != "" {
			visit(info.base)
		}
		for _, f := range info.fields {
			if f.obj {
				visit(f.kind)
			}
		}
	}
	for _, r := range roots {
		visit(r.name)
		if r.subtypes {
			for _, sub := range derived(r.name) {
				visit(sub)
			}
		}
	}

	for name := range closure {
		for _, t := range twins[name] {
			if !reflect.DeepEqual(describe(t), closure[name]) {
				fail("%s is declared twice, differently: %v and %v", name, twins[name][0], t)
			}
		}
	}

	// A type is worth a line when it has a field to declare or a base that
	// has; an object field only when its type is worth a line. Grows to a
	// fixed point (the types refer to each other).
	kept := map[string]bool{}
	for changed := true; changed; {
		changed = false
		for name, info := range closure {
			if !kept[name] && (len(keptFields(info, kept)) > 0 || kept[info.base]) {
				kept[name] = true
				changed = true
			}
		}
	}

	names := make([]string, 0, len(kept))
	for name := range kept {
		names = append(names, name)
	}
	sort.Strings(names)

	var b strings.Builder
	fmt.Fprintf(&b, "// Generated by scripts/vim25-schema from govmomi %s's types: do not edit.\n", govmomiVersion())
	b.WriteString("// Regenerate with `npm run schema` (CI runs it with --check); add a root type there\n")
	b.WriteString("// when vk decodes a new one. Only fields whose wire kind is not plain text are listed.\n\n")
	b.WriteString("export const generatedSchema: Record<string, { base?: string; fields: Record<string, string> }> = {\n")
	for _, name := range names {
		info := closure[name]
		fmt.Fprintf(&b, "  %s: {", name)
		if kept[info.base] {
			fmt.Fprintf(&b, " base: '%s',", info.base)
		}
		b.WriteString(" fields: {")
		for i, f := range keptFields(info, kept) {
			if i > 0 {
				b.WriteString(",")
			}
			kind := f.kind
			if f.array {
				kind += "[]"
			}
			fmt.Fprintf(&b, " %s: '%s'", f.name, kind)
		}
		b.WriteString(" } },\n")
	}
	b.WriteString("};\n")
	os.Stdout.WriteString(b.String())
}

func keptFields(info *typeInfo, kept map[string]bool) []field {
	var out []field
	for _, f := range info.fields {
		switch {
		case f.array && f.kind == "":
			// An array of text still needs saying that it is an array.
			out = append(out, field{name: f.name, kind: "string", array: true})
		case f.array || (f.kind != "" && (!f.obj || kept[f.kind])):
			// (An array of a type without a line decodes its items by shape.)
			out = append(out, f)
		}
	}
	return out
}

// describe reads a struct's base (its embedded first field) and its own fields.
func describe(t reflect.Type) *typeInfo {
	info := &typeInfo{}
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if sf.Anonymous {
			if sf.Type != dynamic {
				info.base = wireName(sf.Type)
			}
			continue
		}
		tag := sf.Tag.Get("xml")
		name := strings.Split(tag, ",")[0]
		if name == "" || name == "-" || strings.Contains(tag, ",attr") || strings.Contains(tag, ",chardata") {
			continue
		}
		f := field{name: name}
		ft := sf.Type
		if ft.Kind() == reflect.Slice && ft.Elem().Kind() != reflect.Uint8 {
			f.array = true
			ft = ft.Elem()
		}
		f.kind, f.obj = kindOf(ft)
		info.fields = append(info.fields, f)
	}
	return info
}

// kindOf is the wire kind of a Go field type: "" for text (string, enum,
// base64 bytes), else a primitive name or a data object's wire name.
func kindOf(t reflect.Type) (string, bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == moRef:
		return "ManagedObjectReference", false
	case t == dateTime:
		return "dateTime", false
	}
	switch t.Kind() {
	case reflect.String, reflect.Slice: // enums; []byte is xsd:base64Binary
		return "", false
	case reflect.Bool:
		return "boolean", false
	case reflect.Int8:
		return "byte", false
	case reflect.Int16:
		return "short", false
	case reflect.Int32:
		return "int", false
	case reflect.Int64:
		return "long", false
	case reflect.Float32:
		return "float", false
	case reflect.Float64:
		return "double", false
	case reflect.Interface:
		// types.AnyType, or BaseX: the interface of X and its subtypes, whose
		// one method is GetX() *X.
		if t.NumMethod() == 0 {
			return "anyType", false
		}
		for i := 0; i < t.NumMethod(); i++ {
			m := t.Method(i)
			if m.Type.NumOut() == 1 && m.Type.Out(0).Kind() == reflect.Pointer {
				if name, ok := lookupWire(m.Type.Out(0).Elem()); ok && m.Name == "Get"+name {
					return name, true
				}
			}
		}
		fail("interface %v names no registered type", t)
	case reflect.Struct:
		return wireName(t), true
	}
	fail("no wire kind for Go type %v", t)
	return "", false
}

func wireName(t reflect.Type) string {
	name, ok := lookupWire(t)
	if !ok {
		fail("Go type %v is not in govmomi's registry", t)
	}
	return name
}

// lookupWire is the registered name of t, or of the registered type t is a
// copy of (vsan's `type VsanClusterConfigInfo types.VsanClusterConfigInfo`).
func lookupWire(t reflect.Type) (string, bool) {
	if name, ok := wireByType[t]; ok {
		return name, true
	}
	if same, ok := typeByWire[t.Name()]; ok && t.Kind() == reflect.Struct && t.ConvertibleTo(same) {
		return t.Name(), true
	}
	return "", false
}

// derived lists the registered types whose base chain reaches name.
func derived(name string) []string {
	var out []string
	for wire, t := range typeByWire {
		for b := baseOf(t); b != nil; b = baseOf(b) {
			if wireByType[b] == name {
				out = append(out, wire)
				break
			}
		}
	}
	sort.Strings(out)
	return out
}

func baseOf(t reflect.Type) reflect.Type {
	if t.NumField() > 0 && t.Field(0).Anonymous && t.Field(0).Type.Kind() == reflect.Struct {
		return t.Field(0).Type
	}
	return nil
}

func govmomiVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/vmware/govmomi" {
				return d.Version
			}
		}
	}
	fail("cannot tell which govmomi this was built with")
	return ""
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "vim25-schema: "+format+"\n", args...)
	os.Exit(1)
}
