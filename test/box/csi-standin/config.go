package main

// The driver's configuration, read from the csi-vsphere.conf vk generates
// the way the vSphere CSI driver reads it: gcfg INI, unknown keys are not
// fatal, the [VirtualCenter "host"] sections inherit the [Global] values
// they leave empty, VSPHERE_* variables override the file, and a user
// without a domain is refused.

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/gcfg.v1"
)

type virtualCenter struct {
	User         string `gcfg:"user"`
	Password     string `gcfg:"password"`
	Port         string `gcfg:"port"`
	InsecureFlag bool   `gcfg:"insecure-flag"`
	CAFile       string `gcfg:"ca-file"`
	Thumbprint   string `gcfg:"thumbprint"`
	Datacenters  string `gcfg:"datacenters"`
}

type config struct {
	Global struct {
		ClusterID           string `gcfg:"cluster-id"`
		ClusterDistribution string `gcfg:"cluster-distribution"`
		User                string `gcfg:"user"`
		Password            string `gcfg:"password"`
		Port                string `gcfg:"port"`
		InsecureFlag        bool   `gcfg:"insecure-flag"`
		CAFile              string `gcfg:"ca-file"`
		Thumbprint          string `gcfg:"thumbprint"`
		Datacenters         string `gcfg:"datacenters"`
	}
	VirtualCenter map[string]*virtualCenter
	Labels        struct {
		Zone               string `gcfg:"zone"`
		Region             string `gcfg:"region"`
		TopologyCategories string `gcfg:"topology-categories"`
	}
}

// The user formats the driver accepts: user@domain or DOMAIN\user.
var userWithDomain = regexp.MustCompile(`^(?:[a-zA-Z0-9.-]+\\[a-zA-Z0-9._-]+|[a-zA-Z0-9._-]+@[a-zA-Z0-9.-]+)$`)

func readConfig(path string) (*config, error) {
	cfg := &config{}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("failed to open %s. Err: %v", path, err)
	}
	defer f.Close()
	if err := gcfg.FatalOnly(gcfg.ReadInto(cfg, f)); err != nil {
		return nil, fmt.Errorf("failed to parse config. Err: %v", err)
	}
	applyEnv(cfg)
	return cfg, validate(cfg)
}

func applyEnv(cfg *config) {
	host := os.Getenv("VSPHERE_VCENTER")
	if host != "" && cfg.VirtualCenter[host] == nil {
		if cfg.VirtualCenter == nil {
			cfg.VirtualCenter = map[string]*virtualCenter{}
		}
		cfg.VirtualCenter[host] = &virtualCenter{}
	}
	set := func(name string, dst *string) {
		if v := os.Getenv(name); v != "" {
			*dst = v
		}
	}
	set("VSPHERE_PORT", &cfg.Global.Port)
	set("VSPHERE_USER", &cfg.Global.User)
	set("VSPHERE_PASSWORD", &cfg.Global.Password)
	set("VSPHERE_DATACENTER", &cfg.Global.Datacenters)
	if v := os.Getenv("VSPHERE_INSECURE"); v != "" {
		if b, err := strconv.ParseBool(v); err == nil {
			cfg.Global.InsecureFlag = b
		}
	}
}

func validate(cfg *config) error {
	if cfg.Global.Port == "" {
		cfg.Global.Port = "443"
	}
	if len(cfg.VirtualCenter) == 0 {
		return errors.New("no Virtual Center hosts defined")
	}
	if len(cfg.VirtualCenter) > 1 {
		return errors.New("the stand-in serves one vCenter; the config names several")
	}
	if len(cfg.Global.ClusterID) > 64 {
		return errors.New("cluster id must not exceed 64 characters")
	}
	for host, vc := range cfg.VirtualCenter {
		if vc.User == "" {
			vc.User = cfg.Global.User
		}
		if vc.User == "" {
			return errors.New("username is missing")
		}
		if !userWithDomain.MatchString(vc.User) {
			return errors.New("username is invalid, make sure it is a fully qualified domain username")
		}
		if vc.Password == "" {
			vc.Password = cfg.Global.Password
		}
		if vc.Password == "" {
			return errors.New("password is missing")
		}
		if vc.Port == "" {
			vc.Port = cfg.Global.Port
		}
		if vc.Datacenters == "" {
			vc.Datacenters = cfg.Global.Datacenters
		}
		if !vc.InsecureFlag {
			vc.InsecureFlag = cfg.Global.InsecureFlag
		}
		if vc.CAFile == "" {
			vc.CAFile = cfg.Global.CAFile
		}
		if vc.Thumbprint == "" {
			vc.Thumbprint = cfg.Global.Thumbprint
		}
		if strings.TrimSpace(vc.Datacenters) == "" {
			return fmt.Errorf("no datacenters configured for vCenter %q", host)
		}
	}
	return nil
}

// The one vCenter of the config, with its host.
func (c *config) vcenter() (string, *virtualCenter) {
	for host, vc := range c.VirtualCenter {
		return host, vc
	}
	return "", nil
}

func (c *config) topologyCategories() []string {
	var out []string
	for _, s := range strings.Split(c.Labels.TopologyCategories, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
