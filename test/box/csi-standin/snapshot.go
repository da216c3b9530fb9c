package main

// Snapshots, as the vSphere CSI driver's vanilla controller takes them: a
// CNS snapshot of the source volume (CnsCreateSnapshots, the snapshot's
// description being the CSI snapshot name), a CSI snapshot ID of
// "<volume ID>+<CNS snapshot ID>", and volumes created from a snapshot with
// a CnsSnapshotVolumeSource. vcsim's CNS keeps snapshots but no disk data,
// so the box's stand-in disks (one directory per volume handle, see
// test/README.md) are copied along: at CreateSnapshot into
// <disks>/.snapshots/<snapshot ID>, at CreateVolume from it into the new
// volume's directory. $BOX_STANDIN_DISKS names <disks>; without it nothing
// is copied and the log says so.

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"github.com/vmware/govmomi/cns"
	cnstypes "github.com/vmware/govmomi/cns/types"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
)

const snapshotIDSeparator = "+"

func splitSnapshotID(id string) (volume, snapshot string, err error) {
	volume, snapshot, ok := strings.Cut(id, snapshotIDSeparator)
	if !ok || volume == "" || snapshot == "" {
		return "", "", status.Errorf(codes.InvalidArgument, "invalid snapshot ID %q: expected <volume ID>+<snapshot ID>", id)
	}
	return volume, snapshot, nil
}

// snapshotsOf lists the CNS snapshots of one volume.
func (d *driver) snapshotsOf(ctx context.Context, volumeID string) ([]cnstypes.CnsSnapshot, error) {
	task, err := d.vc.cns.QuerySnapshots(ctx, cnstypes.CnsSnapshotQueryFilter{
		SnapshotQuerySpecs: []cnstypes.CnsSnapshotQuerySpec{{VolumeId: cnstypes.CnsVolumeId{Id: volumeID}}},
	})
	if err != nil {
		return nil, err
	}
	info, err := cns.GetTaskInfo(ctx, task)
	if err != nil {
		return nil, err
	}
	res, err := cns.GetQuerySnapshotsTaskResult(ctx, info)
	if err != nil {
		return nil, err
	}
	var out []cnstypes.CnsSnapshot
	for _, e := range res.Entries {
		if e.Error != nil {
			return nil, fmt.Errorf("%s (%T)", e.Error.LocalizedMessage, e.Error.Fault)
		}
		out = append(out, e.Snapshot)
	}
	return out, nil
}

func snapshotResponse(volumeID string, s cnstypes.CnsSnapshot, sizeBytes int64) *csi.CreateSnapshotResponse {
	return &csi.CreateSnapshotResponse{Snapshot: &csi.Snapshot{
		SnapshotId:     volumeID + snapshotIDSeparator + s.SnapshotId.Id,
		SourceVolumeId: volumeID,
		CreationTime:   timestamppb.New(s.CreateTime),
		ReadyToUse:     true,
		SizeBytes:      sizeBytes,
	}}
}

func (d *driver) CreateSnapshot(ctx context.Context, req *csi.CreateSnapshotRequest) (*csi.CreateSnapshotResponse, error) {
	logf("CreateSnapshot %s of volume %s", req.Name, req.SourceVolumeId)
	if req.Name == "" || req.SourceVolumeId == "" {
		return nil, status.Error(codes.InvalidArgument, "snapshot name and source volume ID are required")
	}
	vols, err := d.vc.cns.QueryVolume(ctx, &cnstypes.CnsQueryFilter{VolumeIds: []cnstypes.CnsVolumeId{{Id: req.SourceVolumeId}}})
	if err != nil {
		return nil, internal("failed to query volume %q: %v", req.SourceVolumeId, err)
	}
	if len(vols.Volumes) == 0 {
		return nil, status.Errorf(codes.NotFound, "volume %q not found", req.SourceVolumeId)
	}
	sizeBytes := int64(0)
	if b, ok := vols.Volumes[0].BackingObjectDetails.(*cnstypes.CnsBlockBackingDetails); ok {
		sizeBytes = b.CapacityInMb * mib
	}
	existing, err := d.snapshotsOf(ctx, req.SourceVolumeId)
	if err != nil {
		return nil, internal("failed to query the snapshots of volume %q: %v", req.SourceVolumeId, err)
	}
	for _, s := range existing {
		if s.Description == req.Name {
			logf("snapshot %s exists already as %s", req.Name, s.SnapshotId.Id)
			return snapshotResponse(req.SourceVolumeId, s, sizeBytes), nil
		}
	}
	task, err := d.vc.cns.CreateSnapshots(ctx, []cnstypes.CnsSnapshotCreateSpec{{
		VolumeId:    cnstypes.CnsVolumeId{Id: req.SourceVolumeId},
		Description: req.Name,
	}})
	if err != nil {
		return nil, internal("failed to create snapshot of volume %q. Error: %v", req.SourceVolumeId, err)
	}
	res, err := taskResult(ctx, task)
	if err != nil {
		return nil, internal("failed to create snapshot of volume %q. Error: %v", req.SourceVolumeId, err)
	}
	created, ok := res.(*cnstypes.CnsSnapshotCreateResult)
	if !ok {
		return nil, internal("CnsCreateSnapshots returned %T, not a snapshot", res)
	}
	resp := snapshotResponse(req.SourceVolumeId, created.Snapshot, sizeBytes)
	copyDisk(req.SourceVolumeId, snapshotDir(resp.Snapshot.SnapshotId))
	logf("created CNS snapshot %s of volume %s", resp.Snapshot.SnapshotId, req.SourceVolumeId)
	return resp, nil
}

func (d *driver) DeleteSnapshot(ctx context.Context, req *csi.DeleteSnapshotRequest) (*csi.DeleteSnapshotResponse, error) {
	logf("DeleteSnapshot %s", req.SnapshotId)
	volumeID, snapshotID, err := splitSnapshotID(req.SnapshotId)
	if err != nil {
		return nil, err
	}
	task, err := d.vc.cns.DeleteSnapshots(ctx, []cnstypes.CnsSnapshotDeleteSpec{{
		VolumeId:   cnstypes.CnsVolumeId{Id: volumeID},
		SnapshotId: cnstypes.CnsSnapshotId{Id: snapshotID},
	}})
	if err != nil {
		return nil, internal("failed to delete snapshot %q. Error: %v", req.SnapshotId, err)
	}
	// vcsim answers an unknown snapshot with no result at all: gone already.
	if _, err := taskResult(ctx, task); err != nil && !strings.Contains(err.Error(), "no result") &&
		!strings.Contains(err.Error(), "NotFound") {
		return nil, internal("failed to delete snapshot %q. Error: %v", req.SnapshotId, err)
	}
	if dir := snapshotDir(req.SnapshotId); dir != "" {
		_ = os.RemoveAll(dir)
	}
	return &csi.DeleteSnapshotResponse{}, nil
}

// disksDir is where the box keeps its stand-in disks, or "" outside the box.
func disksDir() string { return os.Getenv("BOX_STANDIN_DISKS") }

func snapshotDir(snapshotID string) string {
	if disksDir() == "" {
		return ""
	}
	return filepath.Join(disksDir(), ".snapshots", snapshotID)
}

func volumeDir(volumeID string) string {
	if disksDir() == "" {
		return ""
	}
	return filepath.Join(disksDir(), volumeID)
}

// copyDisk copies the stand-in disk of a volume (a directory) to dst; a
// volume never written has no directory, and its copy is empty.
func copyDisk(volumeID, dst string) {
	if dst == "" {
		logf("BOX_STANDIN_DISKS is not set: no stand-in disk data copied for %s", volumeID)
		return
	}
	if err := copyTree(volumeDir(volumeID), dst); err != nil {
		logf("copying the stand-in disk of %s to %s: %v", volumeID, dst, err)
	}
}

func copyTree(src, dst string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	if _, err := os.Stat(src); os.IsNotExist(err) {
		return nil
	}
	return filepath.WalkDir(src, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if e.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(target)
		if err != nil {
			return err
		}
		defer out.Close()
		_, err = io.Copy(out, in)
		return err
	})
}
