package main

// The CSI Identity and Controller services the kubernetes-csi sidecars
// call, answered through govmomi's CNS client as the vSphere CSI driver's
// vanilla controller answers them (block volumes only).

import (
	"context"
	"fmt"
	"strings"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"github.com/vmware/govmomi/cns"
	cnstypes "github.com/vmware/govmomi/cns/types"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

const (
	driverName     = "csi.vsphere.vmware.com"
	topologyPrefix = "topology.csi.vmware.com/"
	diskTypeBlock  = "vSphere CNS Block Volume"
	mib            = int64(1 << 20)
	defaultSize    = 1 << 30
)

type driver struct {
	csi.UnimplementedIdentityServer
	csi.UnimplementedControllerServer
	cfg  *config
	vc   *vcenter
	kube *kube
}

func (d *driver) GetPluginInfo(context.Context, *csi.GetPluginInfoRequest) (*csi.GetPluginInfoResponse, error) {
	return &csi.GetPluginInfoResponse{Name: driverName, VendorVersion: "csi-standin"}, nil
}

func (d *driver) GetPluginCapabilities(context.Context, *csi.GetPluginCapabilitiesRequest) (*csi.GetPluginCapabilitiesResponse, error) {
	svc := func(t csi.PluginCapability_Service_Type) *csi.PluginCapability {
		return &csi.PluginCapability{Type: &csi.PluginCapability_Service_{Service: &csi.PluginCapability_Service{Type: t}}}
	}
	caps := []*csi.PluginCapability{svc(csi.PluginCapability_Service_CONTROLLER_SERVICE)}
	// Only a topology-aware setup (topology-categories) reports accessibility
	// constraints: without topology keys on any CSINode, csi-provisioner's
	// --immediate-topology (default true) fails every Immediate claim with
	// "no available topology found".
	if len(d.cfg.topologyCategories()) > 0 {
		caps = append(caps, svc(csi.PluginCapability_Service_VOLUME_ACCESSIBILITY_CONSTRAINTS))
	}
	return &csi.GetPluginCapabilitiesResponse{Capabilities: caps}, nil
}

func (d *driver) Probe(context.Context, *csi.ProbeRequest) (*csi.ProbeResponse, error) {
	return &csi.ProbeResponse{Ready: wrapperspb.Bool(true)}, nil
}

func (d *driver) ControllerGetCapabilities(context.Context, *csi.ControllerGetCapabilitiesRequest) (*csi.ControllerGetCapabilitiesResponse, error) {
	rpc := func(t csi.ControllerServiceCapability_RPC_Type) *csi.ControllerServiceCapability {
		return &csi.ControllerServiceCapability{Type: &csi.ControllerServiceCapability_Rpc{Rpc: &csi.ControllerServiceCapability_RPC{Type: t}}}
	}
	return &csi.ControllerGetCapabilitiesResponse{Capabilities: []*csi.ControllerServiceCapability{
		rpc(csi.ControllerServiceCapability_RPC_CREATE_DELETE_VOLUME),
		rpc(csi.ControllerServiceCapability_RPC_PUBLISH_UNPUBLISH_VOLUME),
		rpc(csi.ControllerServiceCapability_RPC_CREATE_DELETE_SNAPSHOT),
	}}, nil
}

func (d *driver) ValidateVolumeCapabilities(_ context.Context, req *csi.ValidateVolumeCapabilitiesRequest) (*csi.ValidateVolumeCapabilitiesResponse, error) {
	if err := blockCapabilities(req.VolumeCapabilities); err != nil {
		return &csi.ValidateVolumeCapabilitiesResponse{Message: err.Error()}, nil
	}
	return &csi.ValidateVolumeCapabilitiesResponse{Confirmed: &csi.ValidateVolumeCapabilitiesResponse_Confirmed{
		VolumeCapabilities: req.VolumeCapabilities,
	}}, nil
}

func blockCapabilities(caps []*csi.VolumeCapability) error {
	if len(caps) == 0 {
		return fmt.Errorf("volume capabilities not provided")
	}
	for _, c := range caps {
		switch c.GetAccessMode().GetMode() {
		case csi.VolumeCapability_AccessMode_SINGLE_NODE_WRITER,
			csi.VolumeCapability_AccessMode_SINGLE_NODE_SINGLE_WRITER,
			csi.VolumeCapability_AccessMode_SINGLE_NODE_MULTI_WRITER,
			csi.VolumeCapability_AccessMode_SINGLE_NODE_READER_ONLY:
		default:
			return fmt.Errorf("the stand-in serves block volumes: access mode %s is not supported", c.GetAccessMode().GetMode())
		}
	}
	return nil
}

func internal(format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	logf("error: %s", msg)
	return status.Error(codes.Internal, msg)
}

func (d *driver) CreateVolume(ctx context.Context, req *csi.CreateVolumeRequest) (*csi.CreateVolumeResponse, error) {
	logf("CreateVolume %s parameters=%v accessibility=%v", req.Name, req.Parameters, req.AccessibilityRequirements)
	if req.Name == "" {
		return nil, status.Error(codes.InvalidArgument, "volume name is a required parameter")
	}
	if err := blockCapabilities(req.VolumeCapabilities); err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	size := req.GetCapacityRange().GetRequiredBytes()
	if size == 0 {
		size = defaultSize
	}
	sizeMB := (size + mib - 1) / mib
	var datastoreURL, policyName string
	for k, v := range req.Parameters {
		switch strings.ToLower(k) {
		case "datastoreurl":
			datastoreURL = v
		case "storagepolicyname":
			policyName = v
		}
	}
	if existing, err := d.volumeByName(ctx, req.Name); err != nil {
		return nil, internal("failed to query volume %q: %v", req.Name, err)
	} else if existing != nil {
		logf("volume %s exists already as %s", req.Name, existing.VolumeId.Id)
		return d.response(existing.VolumeId.Id, sizeMB, nil), nil
	}

	datastores, topology, err := d.placement(ctx, req.AccessibilityRequirements, datastoreURL)
	if err != nil {
		return nil, err
	}
	spec := cnstypes.CnsVolumeCreateSpec{
		Name:       req.Name,
		VolumeType: string(cnstypes.CnsVolumeTypeBlock),
		Datastores: datastores,
		Metadata: cnstypes.CnsVolumeMetadata{
			ContainerCluster:      d.containerCluster(),
			ContainerClusterArray: []cnstypes.CnsContainerCluster{d.containerCluster()},
		},
		BackingObjectDetails: &cnstypes.CnsBlockBackingDetails{
			CnsBackingObjectDetails: cnstypes.CnsBackingObjectDetails{CapacityInMb: sizeMB},
		},
	}
	snapshotID := req.GetVolumeContentSource().GetSnapshot().GetSnapshotId()
	if snapshotID != "" {
		volumeID, cnsSnapshotID, err := splitSnapshotID(snapshotID)
		if err != nil {
			return nil, err
		}
		spec.VolumeSource = &cnstypes.CnsSnapshotVolumeSource{
			VolumeId:   cnstypes.CnsVolumeId{Id: volumeID},
			SnapshotId: cnstypes.CnsSnapshotId{Id: cnsSnapshotID},
		}
	} else if req.GetVolumeContentSource() != nil {
		return nil, status.Error(codes.InvalidArgument, "the stand-in restores volumes from snapshots only, not clones")
	}
	if policyName != "" {
		id, err := d.vc.policyID(ctx, policyName)
		if err != nil {
			return nil, internal("%v", err)
		}
		spec.Profile = []types.BaseVirtualMachineProfileSpec{&types.VirtualMachineDefinedProfileSpec{ProfileId: id}}
	}
	task, err := d.vc.cns.CreateVolume(ctx, []cnstypes.CnsVolumeCreateSpec{spec})
	if err != nil {
		return nil, internal("failed to create volume. Error: %v", err)
	}
	result, err := taskResult(ctx, task)
	if err != nil {
		return nil, internal("failed to create volume. Error: %v", err)
	}
	id := result.GetCnsVolumeOperationResult().VolumeId.Id
	logf("created CNS volume %s for %s (%d MB)", id, req.Name, sizeMB)
	resp := d.response(id, sizeMB, topology)
	if snapshotID != "" {
		if dir := volumeDir(id); dir == "" {
			logf("BOX_STANDIN_DISKS is not set: no stand-in disk data restored for %s", id)
		} else if err := copyTree(snapshotDir(snapshotID), dir); err != nil {
			return nil, internal("restoring the stand-in disk of snapshot %s: %v", snapshotID, err)
		}
		resp.Volume.ContentSource = req.VolumeContentSource
		logf("volume %s restored from snapshot %s", id, snapshotID)
	}
	return resp, nil
}

func (d *driver) response(id string, sizeMB int64, topology []*csi.Topology) *csi.CreateVolumeResponse {
	return &csi.CreateVolumeResponse{Volume: &csi.Volume{
		VolumeId:           id,
		CapacityBytes:      sizeMB * mib,
		VolumeContext:      map[string]string{"type": diskTypeBlock},
		AccessibleTopology: topology,
	}}
}

func (d *driver) containerCluster() cnstypes.CnsContainerCluster {
	return cnstypes.CnsContainerCluster{
		ClusterType:         string(cnstypes.CnsClusterTypeKubernetes),
		ClusterId:           d.cfg.Global.ClusterID,
		VSphereUser:         d.vc.cfg.User,
		ClusterFlavor:       string(cnstypes.CnsClusterFlavorVanilla),
		ClusterDistribution: d.cfg.Global.ClusterDistribution,
	}
}

func (d *driver) volumeByName(ctx context.Context, name string) (*cnstypes.CnsVolume, error) {
	res, err := d.vc.cns.QueryVolume(ctx, &cnstypes.CnsQueryFilter{Names: []string{name}})
	if err != nil {
		return nil, err
	}
	for i := range res.Volumes {
		if res.Volumes[i].Name == name {
			return &res.Volumes[i], nil
		}
	}
	return nil, nil
}

// placement picks the datastores the volume may go to: those shared by the
// hosts of a requested topology segment when topology is configured and
// requested, else those shared by every node's host; a datastoreurl
// parameter must be one of them.
func (d *driver) placement(ctx context.Context, req *csi.TopologyRequirement, dsURL string) ([]types.ManagedObjectReference, []*csi.Topology, error) {
	if dsURL != "" {
		found, err := d.vc.datastoreExists(ctx, dsURL)
		if err != nil {
			return nil, nil, internal("failed to list datastores: %v", err)
		}
		if !found {
			return nil, nil, internal("DatastoreURL: %s specified in the storage class is not found.", dsURL)
		}
	}
	var segments []*csi.Topology
	if len(d.cfg.topologyCategories()) > 0 && req != nil {
		segments = append(segments, req.Preferred...)
		segments = append(segments, req.Requisite...)
	}
	if len(segments) == 0 {
		hosts, err := d.nodeHosts(ctx)
		if err != nil {
			return nil, nil, internal("%v", err)
		}
		dss, err := d.vc.sharedDatastores(ctx, hosts)
		if err != nil {
			return nil, nil, internal("%v", err)
		}
		refs, ok := pick(dss, dsURL)
		if !ok {
			return nil, nil, internal("Datastore: %s specified in the storage class is not accessible to all nodes.", dsURL)
		}
		return refs, nil, nil
	}
	for _, seg := range segments {
		hosts, err := d.vc.hostsInSegment(ctx, seg.Segments)
		if err != nil {
			logf("topology segment %v: %v", seg.Segments, err)
			continue
		}
		dss, err := d.vc.sharedDatastores(ctx, hosts)
		if err != nil {
			logf("no shared datastores found for hosts %v belonging to topology segment: %v", hosts, seg.Segments)
			continue
		}
		if refs, ok := pick(dss, dsURL); ok {
			return refs, []*csi.Topology{{Segments: seg.Segments}}, nil
		}
	}
	if dsURL != "" {
		return nil, nil, internal("Datastore: %s specified in the storage class is not accessible to the requested topology %v.", dsURL, segments)
	}
	return nil, nil, internal("failed to find a shared datastore for the requested topology %v", segments)
}

func pick(dss []mo.Datastore, dsURL string) ([]types.ManagedObjectReference, bool) {
	var refs []types.ManagedObjectReference
	for _, ds := range dss {
		if dsURL == "" || strings.TrimSpace(ds.Summary.Url) == strings.TrimSpace(dsURL) {
			refs = append(refs, ds.Reference())
		}
	}
	return refs, len(refs) > 0
}

func (d *driver) nodeHosts(ctx context.Context) ([]types.ManagedObjectReference, error) {
	uuids, err := d.kube.nodeUUIDs(ctx)
	if err != nil {
		return nil, fmt.Errorf("failed to list the node VMs: %v", err)
	}
	var vms []*object.VirtualMachine
	for node, uuid := range uuids {
		vm, err := d.vc.vmByUUID(ctx, uuid)
		if err != nil {
			logf("node %s: %v", node, err)
			continue
		}
		vms = append(vms, vm)
	}
	return d.vc.hostsOf(ctx, vms)
}

func (d *driver) DeleteVolume(ctx context.Context, req *csi.DeleteVolumeRequest) (*csi.DeleteVolumeResponse, error) {
	logf("DeleteVolume %s", req.VolumeId)
	task, err := d.vc.cns.DeleteVolume(ctx, []cnstypes.CnsVolumeId{{Id: req.VolumeId}}, true)
	if err != nil {
		return nil, internal("failed to delete volume: %q. Error: %v", req.VolumeId, err)
	}
	if _, err := taskResult(ctx, task); err != nil {
		if strings.Contains(err.Error(), "NotFound") || strings.Contains(err.Error(), "not found") {
			logf("volume %s is gone already", req.VolumeId)
			return &csi.DeleteVolumeResponse{}, nil
		}
		return nil, internal("failed to delete volume: %q. Error: %v", req.VolumeId, err)
	}
	return &csi.DeleteVolumeResponse{}, nil
}

func (d *driver) ControllerPublishVolume(ctx context.Context, req *csi.ControllerPublishVolumeRequest) (*csi.ControllerPublishVolumeResponse, error) {
	logf("ControllerPublishVolume %s to node %s", req.VolumeId, req.NodeId)
	vm, err := d.vc.vmByUUID(ctx, req.NodeId)
	if err != nil {
		return nil, status.Errorf(codes.NotFound, "failed to find VirtualMachine for node:%q. Error: %v", req.NodeId, err)
	}
	task, err := d.vc.cns.AttachVolume(ctx, []cnstypes.CnsVolumeAttachDetachSpec{{
		VolumeId: cnstypes.CnsVolumeId{Id: req.VolumeId}, Vm: vm.Reference(),
	}})
	if err != nil {
		return nil, internal("failed to attach disk: %q with node: %q err %v", req.VolumeId, req.NodeId, err)
	}
	res, err := taskResult(ctx, task)
	if err != nil && !strings.Contains(err.Error(), "ResourceInUse") {
		return nil, internal("failed to attach disk: %q with node: %q err %v", req.VolumeId, req.NodeId, err)
	}
	diskUUID := ""
	if r, ok := res.(*cnstypes.CnsVolumeAttachResult); ok {
		diskUUID = r.DiskUUID
	}
	logf("attached %s to VM %s (disk UUID %q)", req.VolumeId, vm.Reference().Value, diskUUID)
	return &csi.ControllerPublishVolumeResponse{PublishContext: map[string]string{
		"type":     diskTypeBlock,
		"diskUUID": strings.ToLower(strings.ReplaceAll(strings.ReplaceAll(diskUUID, " ", ""), "-", "")),
	}}, nil
}

func (d *driver) ControllerUnpublishVolume(ctx context.Context, req *csi.ControllerUnpublishVolumeRequest) (*csi.ControllerUnpublishVolumeResponse, error) {
	logf("ControllerUnpublishVolume %s from node %s", req.VolumeId, req.NodeId)
	vm, err := d.vc.vmByUUID(ctx, req.NodeId)
	if err != nil {
		logf("VM of node %s not found; the volume is detached already: %v", req.NodeId, err)
		return &csi.ControllerUnpublishVolumeResponse{}, nil
	}
	task, err := d.vc.cns.DetachVolume(ctx, []cnstypes.CnsVolumeAttachDetachSpec{{
		VolumeId: cnstypes.CnsVolumeId{Id: req.VolumeId}, Vm: vm.Reference(),
	}})
	if err != nil {
		return nil, internal("failed to detach disk: %q from node: %q err %v", req.VolumeId, req.NodeId, err)
	}
	if _, err := taskResult(ctx, task); err != nil && !strings.Contains(err.Error(), "NotFound") {
		return nil, internal("failed to detach disk: %q from node: %q err %v", req.VolumeId, req.NodeId, err)
	}
	return &csi.ControllerUnpublishVolumeResponse{}, nil
}

// taskResult waits for a CNS task and returns its one volume result, or
// the fault of the task or of the volume operation.
func taskResult(ctx context.Context, task *object.Task) (cnstypes.BaseCnsVolumeOperationResult, error) {
	info, err := cns.GetTaskInfo(ctx, task)
	if err != nil {
		return nil, err
	}
	if info.Error != nil {
		return nil, fmt.Errorf("%s (%T)", info.Error.LocalizedMessage, info.Error.Fault)
	}
	res, err := cns.GetTaskResult(ctx, info)
	if err != nil {
		return nil, err
	}
	if res == nil {
		return nil, fmt.Errorf("the CNS task returned no result")
	}
	if f := res.GetCnsVolumeOperationResult().Fault; f != nil {
		return res, fmt.Errorf("%s (%T)", f.LocalizedMessage, f.Fault)
	}
	return res, nil
}
