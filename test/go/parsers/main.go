// parsers reads the drivers' config files with the drivers' own parsers and
// prints what they read as JSON, so tests can check that vk's output reads
// back exactly as given.
//
//	parsers csi-ini --version v3.7.3 < csi-vsphere.conf   (gopkg.in/gcfg.v1)
//	parsers cpi-yaml < vsphere.conf                        (gopkg.in/yaml.v2)
//	parsers objects-yaml < stream.yaml                     (gopkg.in/yaml.v2)
//
// Parsing is strict: an unknown key is an error (the drivers themselves
// ignore it silently, which is the bug the tests guard against). The structs
// below are ours, written from the key sets of the drivers' config types
// (vsphere-csi-driver pkg/common/config/types.go per release tag,
// cloud-provider-vsphere pkg/common/config/types_yaml.go); they mirror
// src/lib/config/csi-keys.ts independently.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/gcfg.v1"
	"gopkg.in/yaml.v2"
)

// ---- CSI (gcfg) ----

type GlobalBase struct {
	ClusterID                string `gcfg:"cluster-id" json:"cluster-id"`
	SupervisorID             string `gcfg:"supervisor-id" json:"supervisor-id"`
	User                     string `gcfg:"user" json:"user"`
	Password                 string `gcfg:"password" json:"password"`
	Port                     string `gcfg:"port" json:"port"`
	InsecureFlag             bool   `gcfg:"insecure-flag" json:"insecure-flag"`
	CAFile                   string `gcfg:"ca-file" json:"ca-file"`
	Thumbprint               string `gcfg:"thumbprint" json:"thumbprint"`
	Datacenters              string `gcfg:"datacenters" json:"datacenters"`
	RegisterVolumesCleanup   int    `gcfg:"cnsregistervolumes-cleanup-intervalinmin" json:"cnsregistervolumes-cleanup-intervalinmin"`
	MigrationCRCleanup       int    `gcfg:"volumemigration-cr-cleanup-intervalinmin" json:"volumemigration-cr-cleanup-intervalinmin"`
	ClusterDistribution      string `gcfg:"cluster-distribution" json:"cluster-distribution"`
	AuthCheckInterval        int    `gcfg:"csi-auth-check-intervalinmin" json:"csi-auth-check-intervalinmin"`
	OperationRequestCleanup  int    `gcfg:"cnsvolumeoperationrequest-cleanup-intervalinmin" json:"cnsvolumeoperationrequest-cleanup-intervalinmin"`
	FetchPreferredDatastores int    `gcfg:"csi-fetch-preferred-datastores-intervalinmin" json:"csi-fetch-preferred-datastores-intervalinmin"`
	QueryLimit               int    `gcfg:"query-limit" json:"query-limit"`
	ListVolumeThreshold      int    `gcfg:"list-volume-threshold" json:"list-volume-threshold"`
}

// GlobalClientTimeout: v3.0.0 … v3.3.0.
type GlobalClientTimeout struct {
	GlobalBase
	VCClientTimeout int `gcfg:"vc-client-timeout" json:"vc-client-timeout"`
}

// GlobalPVCProtection: v3.7.0 and later.
type GlobalPVCProtection struct {
	GlobalBase
	PVCProtectionCleanup int `gcfg:"cnspvcprotection-cleanup-intervalinmin" json:"cnspvcprotection-cleanup-intervalinmin"`
}

type VCBase struct {
	User                        string `gcfg:"user" json:"user"`
	Password                    string `gcfg:"password" json:"password"`
	Port                        string `gcfg:"port" json:"port"`
	InsecureFlag                bool   `gcfg:"insecure-flag" json:"insecure-flag"`
	Datacenters                 string `gcfg:"datacenters" json:"datacenters"`
	TargetvSANFileShareClusters string `gcfg:"targetvSANFileShareClusters" json:"targetvSANFileShareClusters"`
	MigrationDataStoreURL       string `gcfg:"migration-datastore-url" json:"migration-datastore-url"`
}

// VCDatastoreURLs: v3.0.0 … v3.1.x.
type VCDatastoreURLs struct {
	VCBase
	TargetvSANFileShareDatastoreURLs string `gcfg:"targetvSANFileShareDatastoreURLs" json:"targetvSANFileShareDatastoreURLs"`
}

// VCTLS: v3.3.0 and later.
type VCTLS struct {
	VCBase
	CAFile     string `gcfg:"ca-file" json:"ca-file"`
	Thumbprint string `gcfg:"thumbprint" json:"thumbprint"`
}

// VCSessionManager: v3.5.1 … v3.6.x.
type VCSessionManager struct {
	VCTLS
	SessionManagerURL   string `gcfg:"vc-session-manager-url" json:"vc-session-manager-url"`
	SessionManagerToken string `gcfg:"vc-session-manager-token" json:"vc-session-manager-token"`
}

type NetPermission struct {
	Ips         string `gcfg:"ips" json:"ips"`
	Permissions string `gcfg:"permissions" json:"permissions"`
	RootSquash  bool   `gcfg:"rootsquash" json:"rootsquash"`
}

type Labels struct {
	Zone               string `gcfg:"zone" json:"zone"`
	Region             string `gcfg:"region" json:"region"`
	TopologyCategories string `gcfg:"topology-categories" json:"topology-categories"`
}

type TopologyCategory struct {
	Label string `gcfg:"label" json:"label"`
}

type Snapshot struct {
	GlobalMax    int `gcfg:"global-max-snapshots-per-block-volume" json:"global-max-snapshots-per-block-volume"`
	GranularVSAN int `gcfg:"granular-max-snapshots-per-block-volume-vsan" json:"granular-max-snapshots-per-block-volume-vsan"`
	GranularVVOL int `gcfg:"granular-max-snapshots-per-block-volume-vvol" json:"granular-max-snapshots-per-block-volume-vvol"`
}

type GCBase struct {
	Endpoint            string `gcfg:"endpoint" json:"endpoint"`
	Port                string `gcfg:"port" json:"port"`
	ClusterUID          string `gcfg:"tanzukubernetescluster-uid" json:"tanzukubernetescluster-uid"`
	ClusterName         string `gcfg:"tanzukubernetescluster-name" json:"tanzukubernetescluster-name"`
	ClusterDistribution string `gcfg:"cluster-distribution" json:"cluster-distribution"`
	ClusterAPIVersion   string `gcfg:"cluster-api-version" json:"cluster-api-version"`
	ClusterKind         string `gcfg:"cluster-kind" json:"cluster-kind"`
}

// GCTopology: v3.7.3 and later.
type GCTopology struct {
	GCBase
	TopologyEnabled bool `gcfg:"topology-enabled" json:"topology-enabled"`
}

type CSIConfig[G any, V any, GC any] struct {
	Global           G                            `json:"Global"`
	VirtualCenter    map[string]*V                `json:"VirtualCenter"`
	NetPermissions   map[string]*NetPermission    `json:"NetPermissions"`
	Labels           Labels                       `json:"Labels"`
	TopologyCategory map[string]*TopologyCategory `json:"TopologyCategory"`
	Snapshot         Snapshot                     `json:"Snapshot"`
	GC               GC                           `json:"GC"`
}

// csiConfigFor returns an empty config of the struct the given version reads.
func csiConfigFor(version string) (interface{}, error) {
	m := regexp.MustCompile(`^v?(\d+)\.(\d+)(?:\.(\d+))?$`).FindStringSubmatch(version)
	if m == nil {
		return nil, fmt.Errorf("bad version %q", version)
	}
	major, _ := strconv.Atoi(m[1])
	minor, _ := strconv.Atoi(m[2])
	patch := 99
	if m[3] != "" {
		patch, _ = strconv.Atoi(m[3])
	}
	v := major*10000 + minor*100 + patch
	switch {
	case major != 3:
		return nil, fmt.Errorf("unsupported version %q", version)
	case v <= 30199:
		return &CSIConfig[GlobalClientTimeout, VCDatastoreURLs, GCBase]{}, nil
	case v <= 30299:
		return &CSIConfig[GlobalClientTimeout, VCBase, GCBase]{}, nil
	case v == 30300:
		return &CSIConfig[GlobalClientTimeout, VCTLS, GCBase]{}, nil
	case v <= 30500:
		return &CSIConfig[GlobalBase, VCTLS, GCBase]{}, nil
	case v <= 30699:
		return &CSIConfig[GlobalBase, VCSessionManager, GCBase]{}, nil
	case v <= 30702:
		return &CSIConfig[GlobalPVCProtection, VCTLS, GCBase]{}, nil
	case v <= 30899: // v3.8 reads the v3.7.3 keys (pkg/common/config unchanged on release-3.8)
		return &CSIConfig[GlobalPVCProtection, VCTLS, GCTopology]{}, nil
	}
	return nil, fmt.Errorf("unsupported version %q", version)
}

// ---- CPI (yaml.v2) ----

type CPIGlobal struct {
	User             string   `yaml:"user" json:"user"`
	Password         string   `yaml:"password" json:"password"`
	Server           string   `yaml:"server" json:"server"`
	Port             uint     `yaml:"port" json:"port"`
	InsecureFlag     bool     `yaml:"insecureFlag" json:"insecureFlag"`
	Datacenters      []string `yaml:"datacenters" json:"datacenters"`
	RoundTripCount   uint     `yaml:"soapRoundtripCount" json:"soapRoundtripCount"`
	CAFile           string   `yaml:"caFile" json:"caFile"`
	Thumbprint       string   `yaml:"thumbprint" json:"thumbprint"`
	SecretName       string   `yaml:"secretName" json:"secretName"`
	SecretNamespace  string   `yaml:"secretNamespace" json:"secretNamespace"`
	SecretsDirectory string   `yaml:"secretsDirectory" json:"secretsDirectory"`
	APIDisable       bool     `yaml:"apiDisable" json:"apiDisable"`
	APIBinding       string   `yaml:"apiBinding" json:"apiBinding"`
	IPFamily         []string `yaml:"ipFamily" json:"ipFamily"`
}

type CPIVcenter struct {
	User            string   `yaml:"user" json:"user"`
	Password        string   `yaml:"password" json:"password"`
	Server          string   `yaml:"server" json:"server"`
	Port            uint     `yaml:"port" json:"port"`
	InsecureFlag    bool     `yaml:"insecureFlag" json:"insecureFlag"`
	Datacenters     []string `yaml:"datacenters" json:"datacenters"`
	RoundTripCount  uint     `yaml:"soapRoundtripCount" json:"soapRoundtripCount"`
	CAFile          string   `yaml:"caFile" json:"caFile"`
	Thumbprint      string   `yaml:"thumbprint" json:"thumbprint"`
	SecretName      string   `yaml:"secretName" json:"secretName"`
	SecretNamespace string   `yaml:"secretNamespace" json:"secretNamespace"`
	IPFamily        []string `yaml:"ipFamily" json:"ipFamily"`
}

type CPILabels struct {
	Zone   string `yaml:"zone" json:"zone"`
	Region string `yaml:"region" json:"region"`
}

type CPINodes struct {
	InternalNetworkSubnetCIDR        string `yaml:"internalNetworkSubnetCidr" json:"internalNetworkSubnetCidr"`
	ExternalNetworkSubnetCIDR        string `yaml:"externalNetworkSubnetCidr" json:"externalNetworkSubnetCidr"`
	InternalVMNetworkName            string `yaml:"internalVmNetworkName" json:"internalVmNetworkName"`
	ExternalVMNetworkName            string `yaml:"externalVmNetworkName" json:"externalVmNetworkName"`
	ExcludeInternalNetworkSubnetCIDR string `yaml:"excludeInternalNetworkSubnetCidr" json:"excludeInternalNetworkSubnetCidr"`
	ExcludeExternalNetworkSubnetCIDR string `yaml:"excludeExternalNetworkSubnetCidr" json:"excludeExternalNetworkSubnetCidr"`
}

type CPIConfig struct {
	Global  CPIGlobal              `yaml:"global" json:"global"`
	Vcenter map[string]*CPIVcenter `yaml:"vcenter" json:"vcenter"`
	Labels  CPILabels              `yaml:"labels" json:"labels"`
	Nodes   CPINodes               `yaml:"nodes" json:"nodes"`
}

// ---- Kubernetes objects (yaml.v2, as kubectl's YAML reader) ----

type Object struct {
	APIVersion string `yaml:"apiVersion" json:"apiVersion"`
	Kind       string `yaml:"kind" json:"kind"`
	Metadata   struct {
		Name      string            `yaml:"name" json:"name"`
		Namespace string            `yaml:"namespace" json:"namespace"`
		Labels    map[string]string `yaml:"labels" json:"labels,omitempty"`
	} `yaml:"metadata" json:"metadata"`
	Type       string            `yaml:"type" json:"type,omitempty"`
	StringData map[string]string `yaml:"stringData" json:"stringData,omitempty"`
	Data       map[string]string `yaml:"data" json:"data,omitempty"`
}

func main() {
	if len(os.Args) < 2 {
		fail("usage: parsers csi-ini --version vX.Y | cpi-yaml | objects-yaml")
	}
	mode := os.Args[1]
	fs := flag.NewFlagSet(mode, flag.ExitOnError)
	version := fs.String("version", "", "CSI driver version")
	_ = fs.Parse(os.Args[2:])
	src, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail(err.Error())
	}
	var out interface{}
	switch mode {
	case "csi-ini":
		cfg, err := csiConfigFor(*version)
		if err != nil {
			fail(err.Error())
		}
		// No gcfg.FatalOnly: unknown sections and keys are errors here.
		if err := gcfg.ReadStringInto(cfg, string(src)); err != nil {
			fail(err.Error())
		}
		out = cfg
	case "cpi-yaml":
		var cfg CPIConfig
		if err := yaml.UnmarshalStrict(src, &cfg); err != nil {
			fail(err.Error())
		}
		out = cfg
	case "objects-yaml":
		dec := yaml.NewDecoder(strings.NewReader(string(src)))
		dec.SetStrict(true)
		objs := []Object{}
		for {
			var o Object
			err := dec.Decode(&o)
			if err == io.EOF {
				break
			}
			if err != nil {
				fail(err.Error())
			}
			objs = append(objs, o)
		}
		out = objs
	default:
		fail("unknown mode " + mode)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		fail(err.Error())
	}
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "parsers:", msg)
	os.Exit(1)
}
