package reckon

import "time"

// Workspace is an organisation: the tenant boundary.
type Workspace struct {
	ID        int64
	Slug      string
	Name      string
	CreatedAt time.Time
}

// Environment is one managed customer environment inside a workspace.
type Environment struct {
	ID          int64
	WorkspaceID int64
	Slug        string
	Name        string
	// TenantID is the external tenant the environment stands for (for
	// example a Microsoft 365 tenant id); empty until recorded.
	TenantID  string
	CreatedAt time.Time
}

// Role is a member's role in a workspace.
type Role string

// Roles, least to most privileged.
const (
	RoleReadonly Role = "readonly"
	RoleOperator Role = "operator"
	RoleManager  Role = "manager"
	RoleOwner    Role = "owner"
)

// Roles lists every role, least privileged first.
var Roles = []Role{RoleReadonly, RoleOperator, RoleManager, RoleOwner}

func (r Role) rank() int {
	for i, v := range Roles {
		if v == r {
			return i
		}
	}
	return -1
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r.rank() >= 0 }

// AtLeast reports whether r grants everything min grants.
func (r Role) AtLeast(min Role) bool { return r.Valid() && r.rank() >= min.rank() }

// User is a person who signs in to the console or owns API tokens.
type User struct {
	ID                int64
	Email             string
	Name              string
	PasswordHash      string
	Locale            string
	IsPlatformSupport bool
	CreatedAt         time.Time
}

// Membership is a user's role in a workspace and, when restricted, the
// environments they are entitled to.
type Membership struct {
	WorkspaceID int64
	UserID      int64
	Role        Role
	// Environments lists entitled environment ids; empty means all.
	Environments []int64
}

// Sees reports whether the member may see the environment.
func (m *Membership) Sees(environmentID int64) bool {
	if len(m.Environments) == 0 {
		return true
	}
	for _, id := range m.Environments {
		if id == environmentID {
			return true
		}
	}
	return false
}
