// csi-standin: the box's stand-in for the vSphere CSI driver's controller
// (the driver's own module is not served to this project). govmomi is the
// newest release served.
module vk.test/box/csi-standin

go 1.26.0

require (
	github.com/container-storage-interface/spec v1.12.0
	github.com/vmware/govmomi v0.56.0
	google.golang.org/grpc v1.57.1
	google.golang.org/protobuf v1.33.0
	gopkg.in/gcfg.v1 v1.2.3
)

require (
	github.com/golang/protobuf v1.5.4 // indirect
	github.com/google/uuid v1.6.0 // indirect
	golang.org/x/net v0.38.0 // indirect
	golang.org/x/sys v0.31.0 // indirect
	golang.org/x/text v0.41.0 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20230803162519-f966b187b2e5 // indirect
	gopkg.in/warnings.v0 v0.1.2 // indirect
)
