package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/simulator/vpx"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// driverPrincipals are known to the UserDirectory, as on a vCenter where the
// admin created the drivers' accounts, but hold no permission until vk gives
// them one.
var driverPrincipals = []string{"k8s-csi@vsphere.local", "k8s-cpi@vsphere.local"}

// prepareAuthorization edits the user list the model copies when it builds
// its AuthorizationManager and UserDirectory, so it must run before Create.
// (The Admin role template already holds every privilege the CSI driver's
// roles use, Cns.Searchable included, so the role list needs no edit.)
func prepareAuthorization(o *options) {
	// Every DefaultUserGroup entry gets Admin on the root folder; the login
	// user keeps it (it is the vCenter administrator), the drivers lose it in
	// installAuthorization.
	add := func(principal string) {
		for _, u := range simulator.DefaultUserGroup {
			if !u.Group && samePrincipal(u.Principal, principal) {
				return
			}
		}
		simulator.DefaultUserGroup = append(simulator.DefaultUserGroup,
			&types.UserSearchResult{Principal: principal, FullName: principal})
	}
	add(o.username)
	for _, p := range append(append([]string{}, driverPrincipals...), o.users...) {
		add(p)
	}
}

// installAuthorization swaps in authz, fills in the privilege list (the
// simulator leaves AuthorizationManager.privilegeList empty) and strips the
// driver principals' Admin permission on the root folder.
func installAuthorization(o *options) {
	am := reg.Get(*vpx.ServiceContent.AuthorizationManager).(*simulator.AuthorizationManager)
	m := &authz{AuthorizationManager: am, nextRoleID: 1000}
	for _, r := range m.RoleList {
		if r.Name != "Admin" {
			continue
		}
		for _, id := range r.Privilege {
			group := id[:strings.LastIndex(id, ".")]
			m.PrivilegeList = append(m.PrivilegeList, types.AuthorizationPrivilege{
				PrivId: id, Name: id[len(group)+1:], PrivGroupName: group,
			})
		}
	}
	reg.Put(m)
	root := vpx.ServiceContent.RootFolder
	for _, p := range append(append([]string{}, driverPrincipals...), o.users...) {
		if samePrincipal(p, o.username) {
			continue
		}
		m.AuthorizationManager.RemoveEntityPermission(&types.RemoveEntityPermission{Entity: root, User: p})
	}
}

// authz wraps the simulator's AuthorizationManager where it still (govmomi
// v0.56.0) departs from vCenter in ways `vk roles` depends on; each method
// below says what the simulator does instead. Everything else is the
// simulator's own.
type authz struct {
	*simulator.AuthorizationManager

	nextRoleID int32
}

func normalizePrincipal(p string) string {
	p = strings.ToLower(p)
	if i := strings.Index(p, `\`); i >= 0 {
		return p[i+1:] + "@" + p[:i]
	}
	return p
}

func samePrincipal(a, b string) bool { return normalizePrincipal(a) == normalizePrincipal(b) }

func knownPrincipal(p string, group bool) bool {
	for _, u := range simulator.DefaultUserGroup {
		if u.Group == group && samePrincipal(u.Principal, p) {
			return true
		}
	}
	return false
}

func (m *authz) entityPermissions(entity types.ManagedObjectReference) []types.Permission {
	res := m.AuthorizationManager.RetrieveEntityPermissions(simCtx, &types.RetrieveEntityPermissions{Entity: entity})
	return res.(*methods.RetrieveEntityPermissionsBody).Res.Returnval
}

func (m *authz) role(id int32) *types.AuthorizationRole {
	for i := range m.RoleList {
		if m.RoleList[i].RoleId == id {
			return &m.RoleList[i]
		}
	}
	return nil
}

// effectivePrivileges follows vCenter's rule for a user: the permissions
// nearest to the entity win — those on the entity itself, else the
// propagating ones on the closest ancestor that has any for that user.
// Group membership is not modelled.
func (m *authz) effectivePrivileges(user string, entity types.ManagedObjectReference) map[string]bool {
	granted := map[string]bool{}
	for self := true; ; self = false {
		found := false
		for _, p := range m.entityPermissions(entity) {
			if p.Group || !samePrincipal(p.Principal, user) || (!self && !p.Propagate) {
				continue
			}
			found = true
			if r := m.role(p.RoleId); r != nil {
				for _, id := range r.Privilege {
					granted[id] = true
				}
			}
		}
		if found {
			return granted
		}
		e, ok := reg.Get(entity).(mo.Entity)
		if !ok || e.Entity().Parent == nil {
			return granted
		}
		entity = *e.Entity().Parent
	}
}

func missingEntity(refs []types.ManagedObjectReference) *soap.Fault {
	for _, ref := range refs {
		if reg.Get(ref) == nil {
			return simulator.Fault(fmt.Sprintf("managed object not found: %s", ref), &types.ManagedObjectNotFound{Obj: ref})
		}
	}
	return nil
}

func userNotFound(p string) *soap.Fault {
	return simulator.Fault(fmt.Sprintf("The user or group named '%s' does not exist.", p),
		&types.UserNotFound{Principal: p})
}

// privilegeQueryFault is what vCenter refuses a query of a user's privileges
// with: an entity that does not exist, then a user it does not know.
func privilegeQueryFault(entities []types.ManagedObjectReference, user string) *soap.Fault {
	if f := missingEntity(entities); f != nil {
		return f
	}
	if !knownPrincipal(user, false) {
		return userNotFound(user)
	}
	return nil
}

// HasUserPrivilegeOnEntities answers from the permissions set for the user
// (the simulator answers isGranted=true for every user, entity and
// privilege) and refuses unknown users and entities.
func (m *authz) HasUserPrivilegeOnEntities(req *types.HasUserPrivilegeOnEntities) soap.HasFault {
	body := &methods.HasUserPrivilegeOnEntitiesBody{}
	if f := privilegeQueryFault(req.Entities, req.UserName); f != nil {
		body.Fault_ = f
		return body
	}
	res := &types.HasUserPrivilegeOnEntitiesResponse{}
	for _, e := range req.Entities {
		granted := m.effectivePrivileges(req.UserName, e)
		ep := types.EntityPrivilege{Entity: e}
		for _, id := range req.PrivId {
			ep.PrivAvailability = append(ep.PrivAvailability, types.PrivilegeAvailability{PrivId: id, IsGranted: granted[id]})
		}
		res.Returnval = append(res.Returnval, ep)
	}
	body.Res = res
	return body
}

// FetchUserPrivilegeOnEntities lists the privileges the user's permissions
// grant (the simulator lists the Admin role's privileges for anyone).
func (m *authz) FetchUserPrivilegeOnEntities(req *types.FetchUserPrivilegeOnEntities) soap.HasFault {
	body := &methods.FetchUserPrivilegeOnEntitiesBody{}
	if f := privilegeQueryFault(req.Entities, req.UserName); f != nil {
		body.Fault_ = f
		return body
	}
	res := &types.FetchUserPrivilegeOnEntitiesResponse{}
	for _, e := range req.Entities {
		var ids []string
		for id := range m.effectivePrivileges(req.UserName, e) {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		res.Returnval = append(res.Returnval, types.UserPrivilegeResult{Entity: e, Privileges: ids})
	}
	body.Res = res
	return body
}

// SetEntityPermissions adds the permissions to the entity's, replacing only
// those of the same principal, and refuses unknown roles and principals
// (the simulator replaces the entity's whole list with the request's and
// accepts anything).
func (m *authz) SetEntityPermissions(req *types.SetEntityPermissions) soap.HasFault {
	body := &methods.SetEntityPermissionsBody{}
	if f := missingEntity([]types.ManagedObjectReference{req.Entity}); f != nil {
		body.Fault_ = f
		return body
	}
	merged := m.entityPermissions(req.Entity)
	for _, p := range req.Permission {
		if m.role(p.RoleId) == nil {
			body.Fault_ = simulator.Fault(fmt.Sprintf("role %d not found", p.RoleId), &types.NotFound{})
			return body
		}
		if !knownPrincipal(p.Principal, p.Group) {
			body.Fault_ = userNotFound(p.Principal)
			return body
		}
		entity := req.Entity
		p.Entity = &entity
		replaced := false
		for i := range merged {
			if merged[i].Group == p.Group && samePrincipal(merged[i].Principal, p.Principal) {
				merged[i], replaced = p, true
			}
		}
		if !replaced {
			merged = append(merged, p)
		}
	}
	m.AuthorizationManager.SetEntityPermissions(&types.SetEntityPermissions{Entity: req.Entity, Permission: merged})
	body.Res = &types.SetEntityPermissionsResponse{}
	return body
}

// RemoveEntityPermission matches principals as vCenter does (case and
// DOMAIN\user form aside) and fails with NotFound when there is none (the
// simulator compares exactly and silently succeeds).
func (m *authz) RemoveEntityPermission(req *types.RemoveEntityPermission) soap.HasFault {
	body := &methods.RemoveEntityPermissionBody{}
	if f := missingEntity([]types.ManagedObjectReference{req.Entity}); f != nil {
		body.Fault_ = f
		return body
	}
	for _, p := range m.entityPermissions(req.Entity) {
		if p.Group == req.IsGroup && samePrincipal(p.Principal, req.User) {
			var kept []types.Permission
			for _, q := range m.entityPermissions(req.Entity) {
				if !(q.Group == req.IsGroup && samePrincipal(q.Principal, req.User)) {
					kept = append(kept, q)
				}
			}
			m.AuthorizationManager.SetEntityPermissions(&types.SetEntityPermissions{Entity: req.Entity, Permission: kept})
			body.Res = &types.RemoveEntityPermissionResponse{}
			return body
		}
	}
	body.Fault_ = simulator.Fault(fmt.Sprintf("no permission for %s on %s", req.User, req.Entity), &types.NotFound{})
	return body
}

// RemoveAuthorizationRole removes the role's permissions with it, honours
// failIfUsed and keeps system roles (the simulator removes any role and
// leaves its permissions pointing at nothing).
func (m *authz) RemoveAuthorizationRole(req *types.RemoveAuthorizationRole) soap.HasFault {
	body := &methods.RemoveAuthorizationRoleBody{}
	r := m.role(req.RoleId)
	if r == nil {
		body.Fault_ = simulator.Fault(fmt.Sprintf("role %d not found", req.RoleId), &types.NotFound{})
		return body
	}
	if r.System {
		body.Fault_ = simulator.Fault("system roles cannot be removed", &types.InvalidArgument{InvalidProperty: "roleId"})
		return body
	}
	res := m.AuthorizationManager.RetrieveRolePermissions(&types.RetrieveRolePermissions{RoleId: req.RoleId})
	used := res.(*methods.RetrieveRolePermissionsBody).Res.Returnval
	if len(used) > 0 && req.FailIfUsed {
		body.Fault_ = simulator.Fault(fmt.Sprintf("role %s is used by %d permissions", r.Name, len(used)), &types.RemoveFailed{})
		return body
	}
	for _, p := range used {
		var kept []types.Permission
		for _, q := range m.entityPermissions(*p.Entity) {
			if q.RoleId != req.RoleId {
				kept = append(kept, q)
			}
		}
		m.AuthorizationManager.SetEntityPermissions(&types.SetEntityPermissions{Entity: *p.Entity, Permission: kept})
	}
	return m.AuthorizationManager.RemoveAuthorizationRole(req)
}

// AddAuthorizationRole returns the new role's id, numbering from 1000 (the
// simulator always answers 0 and numbers roles from 0, which clients may take
// for "no role"). Like vCenter, every role also gets System.Anonymous,
// System.Read and System.View.
func (m *authz) AddAuthorizationRole(req *types.AddAuthorizationRole) soap.HasFault {
	body := &methods.AddAuthorizationRoleBody{}
	for _, r := range m.RoleList {
		if r.Name == req.Name {
			body.Fault_ = simulator.Fault(fmt.Sprintf("role %q already exists", req.Name), &types.AlreadyExists{Name: req.Name})
			return body
		}
	}
	valid := map[string]bool{}
	for _, p := range m.PrivilegeList {
		valid[p.PrivId] = true
	}
	ids := map[string]bool{"System.Anonymous": true, "System.Read": true, "System.View": true}
	for _, id := range req.PrivIds {
		if !valid[id] {
			body.Fault_ = simulator.Fault(fmt.Sprintf("unknown privilege %q", id), &types.InvalidArgument{InvalidProperty: "privIds"})
			return body
		}
		ids[id] = true
	}
	var privs []string
	for id := range ids {
		privs = append(privs, id)
	}
	sort.Strings(privs)
	id := m.nextRoleID
	m.nextRoleID++
	m.RoleList = append(m.RoleList, types.AuthorizationRole{
		RoleId:    id,
		Name:      req.Name,
		Info:      &types.Description{Label: req.Name, Summary: req.Name},
		Privilege: privs,
	})
	body.Res = &types.AddAuthorizationRoleResponse{Returnval: id}
	return body
}
