package main

// Just enough of a Kubernetes client to list the nodes, with the pod's
// ServiceAccount: from KUBECONFIG (JSON, as the box writes it: one cluster,
// one user with a token file) or the in-cluster environment.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
)

type kube struct {
	server    string
	tokenFile string
	http      *http.Client
}

type kubeconfig struct {
	Clusters []struct {
		Cluster struct {
			Server                   string `json:"server"`
			CertificateAuthority     string `json:"certificate-authority"`
			CertificateAuthorityData []byte `json:"certificate-authority-data"`
		} `json:"cluster"`
	} `json:"clusters"`
	Users []struct {
		User struct {
			TokenFile string `json:"tokenFile"`
			Token     string `json:"token"`
		} `json:"user"`
	} `json:"users"`
}

func newKube() (*kube, error) {
	var server, caFile, tokenFile string
	var caData []byte
	if path := os.Getenv("KUBECONFIG"); path != "" {
		raw, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		var kc kubeconfig
		if err := json.Unmarshal(raw, &kc); err != nil || len(kc.Clusters) == 0 || len(kc.Users) == 0 {
			return nil, fmt.Errorf("the stand-in reads a JSON kubeconfig with one cluster and one user: %s", path)
		}
		server = kc.Clusters[0].Cluster.Server
		caFile, caData = kc.Clusters[0].Cluster.CertificateAuthority, kc.Clusters[0].Cluster.CertificateAuthorityData
		tokenFile = kc.Users[0].User.TokenFile
	} else if host := os.Getenv("KUBERNETES_SERVICE_HOST"); host != "" {
		server = "https://" + host + ":" + os.Getenv("KUBERNETES_SERVICE_PORT")
		caFile = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"
		tokenFile = "/var/run/secrets/kubernetes.io/serviceaccount/token"
	} else {
		return nil, errors.New("neither KUBECONFIG nor KUBERNETES_SERVICE_HOST is set")
	}
	if caFile != "" {
		b, err := os.ReadFile(caFile)
		if err != nil {
			return nil, err
		}
		caData = b
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caData)
	return &kube{
		server:    strings.TrimSuffix(server, "/"),
		tokenFile: tokenFile,
		http:      &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}},
	}, nil
}

// nodeUUIDs lists each node's systemUUID, the BIOS UUID of its VM.
func (k *kube) nodeUUIDs(ctx context.Context) (map[string]string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.server+"/api/v1/nodes", nil)
	if err != nil {
		return nil, err
	}
	token, err := os.ReadFile(k.tokenFile)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
	res, err := k.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("listing nodes: HTTP %d", res.StatusCode)
	}
	var list struct {
		Items []struct {
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
			Status struct {
				NodeInfo struct {
					SystemUUID string `json:"systemUUID"`
				} `json:"nodeInfo"`
			} `json:"status"`
		} `json:"items"`
	}
	if err := json.NewDecoder(res.Body).Decode(&list); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, n := range list.Items {
		if n.Status.NodeInfo.SystemUUID != "" {
			out[n.Metadata.Name] = strings.ToLower(n.Status.NodeInfo.SystemUUID)
		}
	}
	return out, nil
}
