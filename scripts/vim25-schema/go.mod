module vk.scripts/vim25-schema

go 1.26.0

require github.com/vmware/govmomi v0.56.0
