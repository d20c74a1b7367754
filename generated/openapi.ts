/**
 * GENERATED FROM openapi.yaml BY `npm run generate` (openapi-typescript). DO NOT EDIT.
 * CI fails when this file differs from what the spec gives.
 */

export interface paths {
    "/.well-known/jwks.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Public keys that verify our JWTs (empty with HS256)
         * @description With RS256 or ES256, the current public key and the older ones still accepted (JWT_VERIFYING_KEY_FILES), as a JSON Web Key Set; empty with HS256, whose secret is never published.
         */
        get: operations["jwks"];
        put?: never;
        post?: never;
        delete?: never;
        /**
         * JSON Web Key Set
         * @description The public keys that verify the JWTs the service signs.
         */
        options: operations["jwksOptions"];
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/audit": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The audit log, for staff
         * @description Every security-relevant event, newest first, as a DRF page: sign-ins and failed sign-ins, keys created and revoked, JWT families revoked, password changes and resets, user, flag and group changes, with the acting user. Never holds a password, key, token or hash. `user` matches entries about that user or made by them; `since` and `until` bound the time (inclusive). Entries older than AUDIT_RETENTION_DAYS are pruned by `manage pruneaudit`.
         */
        get: operations["adminAuditList"];
        put?: never;
        post?: never;
        delete?: never;
        /**
         * Admin Audit
         * @description Every security-relevant event, newest first, as a DRF page: sign-ins and failed sign-ins, keys created and revoked, JWT families revoked, password changes and resets, user, flag and group changes, with the acting user. Never holds a password, key, token or hash. `user` matches entries about that user or made by them; `since` and `until` bound the time (inclusive). Entries older than AUDIT_RETENTION_DAYS are pruned by `manage pruneaudit`.
         */
        options: operations["adminAuditOptions"];
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/blacklist": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Blacklisted refresh tokens, for staff (simplejwt's admin)
         * @description Every blacklisted refresh token, the most recently blacklisted first, as a DRF page.
         */
        get: operations["adminBlacklistList"];
        put?: never;
        post?: never;
        delete?: never;
        /**
         * Admin Blacklist
         * @description Every blacklisted refresh token, the most recently blacklisted first, as a DRF page.
         */
        options: operations["adminBlacklistOptions"];
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/groups": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Groups with their member counts, for staff
         * @description Every group, by name, as a DRF page; `protected` marks the groups the spec declares (`x-groups`), which cannot be deleted.
         */
        get: operations["adminGroupsList"];
        put?: never;
        /**
         * Create a group, for staff
         * @description A name taken already is 400 `{"name": ["group with this name already exists."]}`, as DRF says it. Written to the audit log (`group_created`).
         */
        post: operations["adminGroupsCreate"];
        delete?: never;
        /**
         * Admin Groups
         * @description Every group, by name, as a DRF page; `protected` marks the groups the spec declares (`x-groups`), which cannot be deleted.
         */
        options: operations["adminGroupsOptions"];
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/groups/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The group's id. */
                id: components["parameters"]["GroupId"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Delete a group, for staff
         * @description Its memberships go with it. A group the spec declares (`x-groups`) cannot be deleted (400). Written to the audit log (`group_deleted`).
         */
        delete: operations["adminGroupsDestroy"];
        /**
         * Admin Group
         * @description Its memberships go with it. A group the spec declares (`x-groups`) cannot be deleted (400). Written to the audit log (`group_deleted`).
         */
        options: operations["adminGroupOptions"];
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/groups/{id}/members": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The group's id. */
                id: components["parameters"]["GroupId"];
            };
            cookie?: never;
        };
        /**
         * A group's members, for staff
         * @description The members of any group, by id, as a DRF page.
         */
        get: operations["adminGroupMembersList"];
        put?: never;
        /**
         * Add a user to a group, for staff
         * @description The user named by `user_id` or by `username` (one of them; 404 when there is no such user). 201 when added, 200 when they were a member already. Written to the audit log (`group_member_added`).
         */
        post: operations["adminGroupMembersAdd"];
        delete?: never;
        /**
         * Admin Group Members
         * @description The members of any group, by id, as a DRF page.
         */
        options: operations["adminGroupMembersOptions"];
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/groups/{id}/members/{user_id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The group's id. */
                id: components["parameters"]["GroupId"];
                /** @description The member's user id. */
                user_id: components["parameters"]["MemberId"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Remove a user from a group, for staff
         * @description 404 when there is no such user or they are not a member. Written to the audit log (`group_member_removed`).
         */
        delete: operations["adminGroupMembersRemove"];
        /**
         * Admin Group Member
         * @description 404 when there is no such user or they are not a member. Written to the audit log (`group_member_removed`).
         */
        options: operations["adminGroupMemberOptions"];
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/users": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Users, for staff (Django admin's user list)
         * @description Every user with their flags and groups, as a DRF page. `search` matches the username or the email (case-insensitive, every term must match), `is_active`, `is_staff` and `group` filter, `ordering` sorts (unknown fields are ignored, as DRF's OrderingFilter does).
         */
        get: operations["adminUsersList"];
        put?: never;
        /**
         * Create a user, for staff
         * @description The password, when given, goes through the same validators as registration; without one the user gets an unusable password (they can set one through a reset). Only a superuser may create a staff user or a superuser (403 otherwise). Written to the audit log (`user_created`).
         */
        post: operations["adminUsersCreate"];
        delete?: never;
        /**
         * Admin Users
         * @description Every user with their flags and groups, as a DRF page. `search` matches the username or the email (case-insensitive, every term must match), `is_active`, `is_staff` and `group` filter, `ordering` sorts (unknown fields are ignored, as DRF's OrderingFilter does).
         */
        options: operations["adminUsersOptions"];
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/users/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["UserId"];
            };
            cookie?: never;
        };
        /**
         * One user, for staff
         * @description The user with their flags and groups.
         */
        get: operations["adminUsersRetrieve"];
        put?: never;
        post?: never;
        /**
         * Delete a user, for staff
         * @description Their keys go with them and their refresh tokens are blacklisted. Nobody can delete themself here (400); only a superuser may delete a staff user or a superuser (403). Written to the audit log (`user_deleted`).
         */
        delete: operations["adminUsersDestroy"];
        /**
         * Admin User
         * @description The user with their flags and groups.
         */
        options: operations["adminUserOptions"];
        head?: never;
        /**
         * Change a user's details and flags, for staff
         * @description Only a superuser may grant or remove `is_staff` or `is_superuser`, or change a staff user or a superuser other than themself (403 otherwise); nobody can remove their own `is_staff` or deactivate themself (400). Deactivating a user keeps their keys, but an inactive user cannot authenticate. Written to the audit log (`user_updated`, with the fields changed and the new flags).
         */
        patch: operations["adminUsersPartialUpdate"];
        trace?: never;
    };
    "/api/admin/users/{id}/logout-all": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["UserId"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Sign a user out everywhere, for staff
         * @description The same as the user's own `/auth/token/logoutall/`: every key deleted, every refresh token blacklisted, every access token issued so far refused. Written to the audit log (`logout_all`).
         */
        post: operations["adminUsersLogoutAll"];
        delete?: never;
        /**
         * Admin User Logout All
         * @description The same as the user's own `/auth/token/logoutall/`: every key deleted, every refresh token blacklisted, every access token issued so far refused. Written to the audit log (`logout_all`).
         */
        options: operations["adminUserLogoutAllOptions"];
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/users/{id}/refresh-tokens": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["UserId"];
            };
            cookie?: never;
        };
        /**
         * A user's outstanding refresh tokens, for staff
         * @description The newest 1000 refresh tokens issued to the user (simplejwt's outstanding tokens), newest first, whether blacklisted or not, with their rotation family.
         */
        get: operations["adminRefreshTokensList"];
        put?: never;
        post?: never;
        delete?: never;
        /**
         * Admin User Refresh Tokens
         * @description The newest 1000 refresh tokens issued to the user (simplejwt's outstanding tokens), newest first, whether blacklisted or not, with their rotation family.
         */
        options: operations["adminUserRefreshTokensOptions"];
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/users/{id}/refresh-tokens/{jti}/blacklist": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["UserId"];
                /** @description The refresh token's `jti` claim. */
                jti: components["parameters"]["Jti"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Blacklist one of a user's refresh tokens, for staff
         * @description Idempotent: a token blacklisted already stays so (204). 404 when the user has no refresh token with that jti. Written to the audit log (`token_revoked`, with the jti) when it blacklists it.
         */
        post: operations["adminRefreshTokensBlacklist"];
        delete?: never;
        /**
         * Admin User Refresh Token Blacklist
         * @description Idempotent: a token blacklisted already stays so (204). 404 when the user has no refresh token with that jti. Written to the audit log (`token_revoked`, with the jti) when it blacklists it.
         */
        options: operations["adminUserRefreshTokenBlacklistOptions"];
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/users/{id}/set_password": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["UserId"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Set a user's password, for staff
         * @description The new password goes through the validators; the user is signed out everywhere (every key deleted, every JWT revoked), as after a reset. Only a superuser may set the password of a staff user or a superuser other than themself (403). Written to the audit log (`password_changed`).
         */
        post: operations["adminUsersSetPassword"];
        delete?: never;
        /**
         * Admin User Set Password
         * @description The new password goes through the validators; the user is signed out everywhere (every key deleted, every JWT revoked), as after a reset. Only a superuser may set the password of a staff user or a superuser other than themself (403). Written to the audit log (`password_changed`).
         */
        options: operations["adminUserSetPasswordOptions"];
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/users/{id}/tokens": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["UserId"];
            };
            cookie?: never;
        };
        /**
         * A user's DRF keys, for staff
         * @description The newest 1000 keys of the user, newest first: id, creation, last use and the key's first 8 characters (null for a key made before prefixes were kept). The key itself is stored hashed and never shown again.
         */
        get: operations["adminKeysList"];
        put?: never;
        /**
         * Create a DRF key for a user, for staff
         * @description The answer is the only time the key is shown (Django admin's "Add token"); only its first 8 characters are kept, as `prefix`. Written to the audit log (`token_created`, with the prefix).
         */
        post: operations["adminKeysCreate"];
        /**
         * Revoke every DRF key of a user, for staff
         * @description Every key of the user stops working at once. Written to the audit log (`token_revoked`, with the count).
         */
        delete: operations["adminKeysRevokeAll"];
        /**
         * Admin User Tokens
         * @description The newest 1000 keys of the user, newest first: id, creation, last use and the key's first 8 characters (null for a key made before prefixes were kept). The key itself is stored hashed and never shown again.
         */
        options: operations["adminUserTokensOptions"];
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/users/{id}/tokens/{key_id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["UserId"];
                /** @description The DRF key's id (as listed; never the key itself). */
                key_id: components["parameters"]["KeyId"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Revoke one DRF key of a user, for staff
         * @description The key stops working at once; 404 when the user has no key with that id. Written to the audit log (`token_revoked`).
         */
        delete: operations["adminKeysRevoke"];
        /**
         * Admin User Token
         * @description The key stops working at once; 404 when the user has no key with that id. Written to the audit log (`token_revoked`).
         */
        options: operations["adminUserTokenOptions"];
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/api-token-auth/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Obtain a DRF token (rest_framework.authtoken.views.obtain_auth_token)
         * @description Each call issues a new key (one per device).
         */
        post: operations["obtainAuthToken"];
        delete?: never;
        /**
         * Obtain Auth Token
         * @description Exchanges a username and a password for a new DRF token.
         */
        options: operations["obtainAuthTokenOptions"];
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/groups/manager/users": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Users in the Manager group
         * @description The members of the Manager group: `id`, `username` and `email` each.
         */
        get: operations["managersList"];
        put?: never;
        /**
         * Add a user to the Manager group
         * @description Puts the user named by `username` in the Manager group (201 `{"message": "ok"}`); 404 for an unknown username.
         */
        post: operations["managersAdd"];
        /**
         * Remove a user (named in the body) from the Manager group
         * @description Takes the user named by `username` out of the Manager group (200 `{"message": "ok"}`); 404 for an unknown username.
         */
        delete: operations["managersRemove"];
        /**
         * Managers
         * @description The members of the Manager group, managed by admins.
         */
        options: operations["managersOptions"];
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/groups/manager/users/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Remove a user (by id) from the Manager group
         * @description Takes the user with this id out of the Manager group (200 `{"message": "ok"}`); 404 for an unknown id.
         */
        delete: operations["managersRemoveById"];
        /**
         * Manager
         * @description One member of the Manager group, removed by an admin.
         */
        options: operations["managerOptions"];
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/manager-view/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A message for the Manager group
         * @description The course's group check: `{"message": "Only Manager should see this"}` for members of the Manager group; 403 for anyone else signed in.
         */
        get: operations["managerView"];
        put?: never;
        post?: never;
        delete?: never;
        /**
         * Manager View
         * @description A message for the Manager group.
         */
        options: operations["managerViewOptions"];
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/menu-items": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List menu items
         * @description A plain array, as the course's backend returns, unless `page` or `page_size` is given; then DRF's page object.
         */
        get: operations["menuItemsList"];
        put?: never;
        /**
         * Create a menu item
         * @description A new menu item from `title`, `price` and `inventory` (DRF's ModelSerializer fields); 201 with the item and its `id`.
         */
        post: operations["menuItemsCreate"];
        delete?: never;
        /**
         * Menu Items
         * @description The menu: anyone may list its items; managers and admins add them.
         */
        options: operations["menuItemsOptions"];
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/menu-items/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["ItemId"];
            };
            cookie?: never;
        };
        /**
         * One menu item
         * @description The menu item with this id; 404 `Not found.` when there is none.
         */
        get: operations["menuItemsRetrieve"];
        /**
         * Replace a menu item
         * @description Replaces every field of the item (`title`, `price` and `inventory` are all required).
         */
        put: operations["menuItemsUpdate"];
        post?: never;
        /**
         * Delete a menu item
         * @description Deletes the item; 204.
         */
        delete: operations["menuItemsDestroy"];
        /**
         * Single Menu Item
         * @description One menu item: anyone may read it; managers and admins change or delete it.
         */
        options: operations["menuItemOptions"];
        head?: never;
        /**
         * Change some fields of a menu item
         * @description Changes the fields sent and leaves the others as they are.
         */
        patch: operations["menuItemsPartialUpdate"];
        trace?: never;
    };
    "/api/secret/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A message for authenticated users
         * @description The course's first protected view: `{"message": "Some secret message"}` for any authenticated user.
         */
        get: operations["secret"];
        put?: never;
        post?: never;
        delete?: never;
        /**
         * Secret
         * @description A message for authenticated users.
         */
        options: operations["secretOptions"];
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/ten-calls": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Throttled in the `ten` scope
         * @description The course's ScopedRateThrottle example: the `ten` rate per user, shared by every operation in that scope.
         */
        get: operations["tenCalls"];
        put?: never;
        post?: never;
        delete?: never;
        /**
         * Ten Calls
         * @description Throttled in the `ten` scope.
         */
        options: operations["tenCallsOptions"];
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/throttle-check": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Throttled per IP for anonymous callers (AnonRateThrottle)
         * @description The course's AnonRateThrottle example: anonymous callers get the `anon` rate per client IP; authenticated callers are not counted by it.
         */
        get: operations["throttleCheck"];
        put?: never;
        post?: never;
        delete?: never;
        /**
         * Throttle Check
         * @description Throttled per IP for anonymous callers.
         */
        options: operations["throttleCheckOptions"];
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/throttle-check-auth": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Throttled per user (UserRateThrottle)
         * @description The course's UserRateThrottle example: the `user` rate per user.
         */
        get: operations["throttleCheckAuth"];
        put?: never;
        post?: never;
        delete?: never;
        /**
         * Throttle Check Auth
         * @description Throttled per user.
         */
        options: operations["throttleCheckAuthOptions"];
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/token/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Obtain a JWT pair (simplejwt TokenObtainPairView)
         * @description simplejwt's TokenObtainPairView: an access and a refresh token for a username and password. Wrong credentials or an inactive user: 401 `No active account found with the given credentials`.
         */
        post: operations["tokenObtainPair"];
        delete?: never;
        /**
         * Token Obtain Pair
         * @description Exchanges a username and a password for a JWT pair.
         */
        options: operations["tokenObtainPairOptions"];
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/token/blacklist/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Blacklist a refresh token
         * @description simplejwt's TokenBlacklistView: the refresh token never works again.
         */
        post: operations["tokenBlacklist"];
        delete?: never;
        /**
         * Token Blacklist
         * @description Blacklists a refresh token.
         */
        options: operations["tokenBlacklistOptions"];
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/token/refresh/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Exchange a refresh token for a new access token
         * @description With rotation on, also a new refresh token; the old one is blacklisted, and presenting it again revokes its whole family.
         */
        post: operations["tokenRefresh"];
        delete?: never;
        /**
         * Token Refresh
         * @description Exchanges a refresh token for a new access token.
         */
        options: operations["tokenRefreshOptions"];
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/token/verify/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Check that a token is valid (and, unlike simplejwt, not blacklisted)
         * @description simplejwt's TokenVerifyView: 200 `{}` for a valid access or refresh token; 401 `token_not_valid` for an invalid, expired or blacklisted one.
         */
        post: operations["tokenVerify"];
        delete?: never;
        /**
         * Token Verify
         * @description Checks that a token is valid.
         */
        options: operations["tokenVerifyOptions"];
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/jwt/create/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Obtain a JWT pair (djoser)
         * @description djoser's route to simplejwt's TokenObtainPairView: the same as POST /api/token/.
         */
        post: operations["jwtCreate"];
        delete?: never;
        /**
         * Token Obtain Pair
         * @description Exchanges a username and a password for a JWT pair (djoser).
         */
        options: operations["jwtCreateOptions"];
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/jwt/refresh/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Exchange a refresh token for a new access token (djoser)
         * @description djoser's route to simplejwt's TokenRefreshView: the same as POST /api/token/refresh/.
         */
        post: operations["jwtRefresh"];
        delete?: never;
        /**
         * Token Refresh
         * @description Exchanges a refresh token for a new access token (djoser).
         */
        options: operations["jwtRefreshOptions"];
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/jwt/verify/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Check that a token is valid (djoser)
         * @description djoser's route to simplejwt's TokenVerifyView: the same as POST /api/token/verify/.
         */
        post: operations["jwtVerify"];
        delete?: never;
        /**
         * Token Verify
         * @description Checks that a token is valid (djoser).
         */
        options: operations["jwtVerifyOptions"];
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/token/login/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Obtain a DRF token (djoser)
         * @description djoser's TokenCreateView: a new DRF key for a username and password (one per device; the other devices keep theirs). Wrong credentials or an inactive user: 400 `Unable to log in with provided credentials.`
         */
        post: operations["tokenCreate"];
        delete?: never;
        /**
         * Token Create
         * @description Exchanges a username and a password for a new DRF token (djoser).
         */
        options: operations["tokenCreateOptions"];
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/token/logout/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Delete the DRF key this request was made with
         * @description djoser's TokenDestroyView: the key sent in `Authorization: Token <key>` stops working at once; the user's other keys (other devices) keep working.
         */
        post: operations["tokenDestroy"];
        delete?: never;
        /**
         * Token Destroy
         * @description Deletes the DRF token the request was made with.
         */
        options: operations["tokenDestroyOptions"];
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/token/logoutall/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Sign out everywhere
         * @description Deletes every DRF key of the user, blacklists every refresh token and revokes every access token issued so far.
         */
        post: operations["tokenDestroyAll"];
        delete?: never;
        /**
         * Token Destroy All
         * @description Revokes every credential of the user.
         */
        options: operations["tokenDestroyAllOptions"];
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/users/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Users (all of them for an admin, yourself otherwise)
         * @description djoser's UserViewSet.list: every user for an admin, a list holding only the caller otherwise.
         */
        get: operations["userList"];
        put?: never;
        /**
         * Register
         * @description djoser's UserViewSet.create: a new account. The password goes through Django's validators (length, common, numeric, similarity) and the username through Django's rules; either may refuse with 400 and their messages.
         */
        post: operations["userCreate"];
        delete?: never;
        /**
         * User List
         * @description Anyone may register; a user lists themself, an admin every user.
         */
        options: operations["usersOptions"];
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/users/{username}/": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                username: components["parameters"]["UsernameParam"];
            };
            cookie?: never;
        };
        /**
         * A user (themself or an admin)
         * @description djoser's UserViewSet.retrieve by username: the user themself or an admin; anyone else gets 404, as for a username that does not exist.
         */
        get: operations["userRetrieve"];
        /**
         * Change a user (themself or an admin)
         * @description djoser's UserViewSet.update by username: changes `email`; the user themself or an admin, 404 for anyone else.
         */
        put: operations["userUpdate"];
        post?: never;
        /**
         * Delete a user (themself with their password, or an admin with theirs)
         * @description Anyone else gets 404, as for a username that does not exist (djoser answers 403, which tells a stranger that the account exists).
         */
        delete: operations["userDestroy"];
        /**
         * User Instance
         * @description A user, for themself or an admin.
         */
        options: operations["userOptions"];
        head?: never;
        /**
         * Change some fields of a user (themself or an admin)
         * @description djoser's UserViewSet.partial_update by username: changes the fields sent; the user themself or an admin, 404 for anyone else.
         */
        patch: operations["userPartialUpdate"];
        trace?: never;
    };
    "/auth/users/activation/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Activate an account with the mailed uid and token (when activation is on)
         * @description djoser's activation: activates the account of the uid and token mailed at registration; 403 when the account is already active.
         */
        post: operations["activation"];
        delete?: never;
        /**
         * Activation
         * @description Activates an account with the mailed uid and token.
         */
        options: operations["activationOptions"];
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/users/me/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The current user
         * @description djoser's /users/me/: the caller's own account.
         */
        get: operations["userMe"];
        /**
         * Change the current user
         * @description djoser's /users/me/: changes the caller's `email`; a `username` sent is ignored.
         */
        put: operations["userMeUpdate"];
        post?: never;
        /**
         * Delete the current user
         * @description djoser's /users/me/: deletes the caller's account once `current_password` is right (400 `Invalid password.` otherwise).
         */
        delete: operations["userMeDestroy"];
        /**
         * Me
         * @description The current user.
         */
        options: operations["userMeOptions"];
        head?: never;
        /**
         * Change some fields of the current user
         * @description djoser's /users/me/: changes the fields sent (`email`).
         */
        patch: operations["userMePartialUpdate"];
        trace?: never;
    };
    "/auth/users/resend_activation/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Mail the activation link again (when activation is on)
         * @description djoser's resend_activation: mails the activation link again when the address belongs to an inactive account; 204 either way (400 when activation is off).
         */
        post: operations["resendActivation"];
        delete?: never;
        /**
         * Resend activation
         * @description Mails the activation link again.
         */
        options: operations["resendActivationOptions"];
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/users/reset_password_confirm/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Set a new password with the mailed uid and token
         * @description djoser's reset_password_confirm: sets `new_password` (through Django's validators) for the uid and token of a mailed link, and signs the user out everywhere.
         */
        post: operations["resetPasswordConfirm"];
        delete?: never;
        /**
         * Reset password confirm
         * @description Sets a new password with the mailed uid and token.
         */
        options: operations["resetPasswordConfirmOptions"];
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/users/reset_password/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Mail a password-reset link (answers 204 whether the address is known or not)
         * @description djoser's reset_password: when the address belongs to an active user, mails a link holding a uid and a token; 204 either way, so the answer tells no one whether the address is known.
         */
        post: operations["resetPassword"];
        delete?: never;
        /**
         * Reset password
         * @description Mails a password-reset link.
         */
        options: operations["resetPasswordOptions"];
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/users/set_password/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Change your password
         * @description djoser's set_password: `new_password` (through Django's validators) once `current_password` is right; password-reset links mailed before stop working.
         */
        post: operations["setPassword"];
        delete?: never;
        /**
         * Set password
         * @description Changes your password.
         */
        options: operations["setPasswordOptions"];
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/users/set_username/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Change your username
         * @description djoser's set_username: `new_username` (Django's username rules, unique whatever the letter case) once `current_password` is right.
         */
        post: operations["setUsername"];
        delete?: never;
        /**
         * Set username
         * @description Changes your username.
         */
        options: operations["setUsernameOptions"];
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Liveness
         * @description The process is up and its event loop answers. It does no I/O, so a database or Redis that is down does not fail it: a process manager that restarts on a failed liveness check would only restart a healthy process. Whether the service can do its work is `/readyz`.
         */
        get: operations["healthz"];
        put?: never;
        post?: never;
        delete?: never;
        /**
         * Liveness
         * @description The process is up and its event loop answers (no I/O).
         */
        options: operations["healthzOptions"];
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/readyz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Readiness
         * @description Whether the service can do its work: the database answers a query and, when REDIS_URL is set, Redis answers a PING (each within 2 seconds). 503 says which is down; a load balancer sends no traffic to an instance that is not ready. Not counted by any throttle.
         */
        get: operations["readyz"];
        put?: never;
        post?: never;
        delete?: never;
        /**
         * Readiness
         * @description Whether the service can do its work (its database and, when configured, Redis answer).
         */
        options: operations["readyzOptions"];
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /** @description Each field by its name, in the serializer's order. */
        ActionFields: {
            [key: string]: components["schemas"]["FieldMetadata"];
        };
        AdminBlacklisted: {
            blacklisted_at: components["schemas"]["IsoTime"];
            expires_at: components["schemas"]["IsoTime"];
            /**
             * ID
             * Format: int32
             */
            readonly id: number;
            jti: string;
            /** Format: int32 */
            user_id: number | null;
            username: string | null;
        };
        AdminBlacklistPage: {
            /** Format: int32 */
            count: number;
            /** Format: uri */
            next: string | null;
            /** Format: uri */
            previous: string | null;
            results: components["schemas"]["AdminBlacklisted"][];
        };
        AdminGroup: {
            /**
             * ID
             * Format: int32
             */
            readonly id: number;
            /** Format: int32 */
            member_count: number;
            name: string;
            /** @description Named in the spec's `x-groups`: it cannot be deleted. */
            protected: boolean;
        };
        AdminGroupCreateInput: {
            /** @description Not blank once trimmed (a Django CharField). */
            name: string;
        };
        /** @description One of `user_id` and `username`. */
        AdminGroupMemberInput: {
            /** Format: int32 */
            user_id?: number;
            username?: string;
        };
        AdminGroupMemberPage: {
            /** Format: int32 */
            count: number;
            /** Format: uri */
            next: string | null;
            /** Format: uri */
            previous: string | null;
            results: components["schemas"]["AdminUserSummary"][];
        };
        AdminGroupPage: {
            /** Format: int32 */
            count: number;
            /** Format: uri */
            next: string | null;
            /** Format: uri */
            previous: string | null;
            results: components["schemas"]["AdminGroup"][];
        };
        AdminKey: {
            created: components["schemas"]["IsoTime"];
            /**
             * ID
             * Format: int32
             */
            readonly id: number;
            /** Format: date-time */
            last_used: string | null;
            /** @description The key's first 8 characters, kept at creation (null for keys made before); not enough to use it. */
            prefix: string | null;
        };
        AdminKeyCreated: {
            created: components["schemas"]["IsoTime"];
            /**
             * ID
             * Format: int32
             */
            readonly id: number;
            key: components["schemas"]["TokenKey"];
            /**
             * Format: date-time
             * @description Null: the key is new.
             */
            last_used: string | null;
            prefix: string;
        };
        AdminRefreshToken: {
            blacklisted: boolean;
            created_at: components["schemas"]["IsoTime"];
            expires_at: components["schemas"]["IsoTime"];
            /** @description The jti of the first token of its rotation chain: reusing a rotated token revokes the whole family. */
            family: string;
            /**
             * ID
             * Format: int32
             */
            readonly id: number;
            jti: string;
        };
        AdminSetPasswordInput: {
            new_password: components["schemas"]["Password"];
        };
        AdminUser: {
            date_joined: components["schemas"]["IsoTime"];
            /** Email address */
            email: string;
            first_name: string;
            /** @description The names of the user's groups, sorted. */
            groups: string[];
            /**
             * ID
             * Format: int32
             */
            readonly id: number;
            is_active: boolean;
            is_staff: boolean;
            is_superuser: boolean;
            /** Format: date-time */
            last_login: string | null;
            last_name: string;
            username: string;
        };
        AdminUserCreateInput: {
            /**
             * Email address
             * Format: email-or-blank
             */
            email?: string;
            first_name?: string;
            is_active?: boolean;
            /** @description Only a superuser may set it. */
            is_staff?: boolean;
            /** @description Only a superuser may set it. */
            is_superuser?: boolean;
            last_name?: string;
            /** @description Optional; through the password validators. Without it the password is unusable. */
            password?: string;
            username: components["schemas"]["Username"];
        };
        AdminUserPage: {
            /** Format: int32 */
            count: number;
            /** Format: uri */
            next: string | null;
            /** Format: uri */
            previous: string | null;
            results: components["schemas"]["AdminUser"][];
        };
        AdminUserSummary: {
            /** Email address */
            email: string;
            /**
             * ID
             * Format: int32
             */
            readonly id: number;
            username: string;
        };
        AdminUserUpdateInput: {
            /**
             * Email address
             * Format: email-or-blank
             */
            email?: string;
            first_name?: string;
            is_active?: boolean;
            /** @description Only a superuser may change it; nobody can remove their own. */
            is_staff?: boolean;
            /** @description Only a superuser may change it. */
            is_superuser?: boolean;
            last_name?: string;
        };
        /** @description What changed; never a password, key, token or hash. */
        AuditDetail: {
            /**
             * Format: int32
             * @description How many keys were revoked.
             */
            count?: number;
            /** @description The rotation family revoked or concerned. */
            family?: string;
            /** @description The fields a user update changed. */
            fields?: ("email" | "first_name" | "last_name" | "is_active" | "is_staff" | "is_superuser")[];
            /** @description The group's name. */
            group?: string;
            /** Format: int32 */
            group_id?: number;
            is_active?: boolean;
            is_staff?: boolean;
            is_superuser?: boolean;
            /** @description The refresh token blacklisted. */
            jti?: string;
            /**
             * Format: int32
             * @description How many keys logout-all deleted.
             */
            keys_revoked?: number;
            /**
             * @description A sign-in's credentials: a DRF key or a JWT pair.
             * @enum {string}
             */
            method?: "token" | "jwt";
            /** @description The operation that made the change. */
            operation?: string;
            /** @description The first 8 characters of the key made or revoked (null for a key made before they were kept). */
            prefix?: string | null;
            /**
             * @description Why a family was revoked: a rotated refresh token was presented again.
             * @enum {string}
             */
            reason?: "reuse";
            /** @description Whether a password change also signed the user out everywhere. */
            signed_out?: boolean;
            /** @description Whether a created user was given a password. */
            usable_password?: boolean;
            /** @description `admin` for the admin API, `manage <command>` for the command line. */
            via?: string;
        };
        AuditEntry: {
            /**
             * Format: int32
             * @description Who did it (null for an anonymous request such as a failed sign-in).
             */
            actor_id: number | null;
            actor_username: string | null;
            /** @description The client address of the request. */
            address: string | null;
            at: components["schemas"]["IsoTime"];
            detail: components["schemas"]["AuditDetail"];
            /**
             * ID
             * Format: int32
             */
            readonly id: number;
            kind: components["schemas"]["AuditKind"];
            /**
             * Format: int32
             * @description Whom it was about (null when there is no such user, as after a failed sign-in with an unknown name).
             */
            user_id: number | null;
            /** @description The user's name then, or the name a failed sign-in tried (its first 150 characters). */
            username: string | null;
        };
        /**
         * @description What happened.
         * @enum {string}
         */
        AuditKind: "login" | "login_failed" | "token_created" | "token_revoked" | "jwt_family_revoked" | "logout_all" | "password_changed" | "password_reset" | "user_created" | "user_updated" | "user_deleted" | "group_created" | "group_deleted" | "group_member_added" | "group_member_removed";
        AuditPage: {
            /** Format: int32 */
            count: number;
            /** Format: uri */
            next: string | null;
            /** Format: uri */
            previous: string | null;
            results: components["schemas"]["AuditEntry"][];
        };
        /** @description DRF's AuthTokenSerializer, which reads the password untrimmed. */
        AuthTokenCredentialsInput: {
            password: string;
            username: string;
        };
        CredentialsInput: {
            password: components["schemas"]["Password"];
            username: string;
        };
        CurrentPasswordInput: {
            current_password: string;
        };
        Detail: {
            code?: string;
            detail: string;
            messages?: {
                message?: string;
                token_class?: string;
                token_type?: string;
            }[];
        };
        /** Format: email */
        Email: string;
        EmailInput: {
            email: components["schemas"]["Email"];
        };
        /** @description DRF field errors; `non_field_errors` holds errors that belong to no field. */
        FieldErrors: {
            [key: string]: string[];
        };
        /** @description A field, as DRF's SimpleMetadata.get_field_info describes it. */
        FieldMetadata: {
            choices?: {
                display_name: string;
                value: unknown;
            }[];
            /** Format: int32 */
            decimal_places?: number;
            help_text?: string;
            label: string;
            /** Format: int32 */
            max_digits?: number;
            /** Format: int32 */
            max_length?: number;
            max_value?: number;
            /** Format: int32 */
            min_length?: number;
            min_value?: number;
            read_only: boolean;
            required: boolean;
            /** @enum {string} */
            type: "field" | "boolean" | "string" | "email" | "integer" | "float" | "decimal" | "choice" | "list" | "nested object";
        };
        GroupMember: {
            /** Email address */
            email: string;
            /**
             * ID
             * Format: int32
             */
            readonly id: number;
            username: string;
        };
        /**
         * Format: int32
         * @description A whole number from 0 to 32767 (DRF's IntegerField(min_value=0, max_value=32767)): a JSON integer, or its text in ASCII digits (a `+` sign, leading zeros, a trailing `.0` and spaces around it are allowed, as DRF reads them).
         */
        InventoryInput: number;
        /**
         * Format: date-time
         * @example 2026-11-29T18:30:00.000Z
         */
        IsoTime: string;
        /** @example eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoiYWNjZXNzIn0.c2lnbmF0dXJl */
        Jwt: string;
        MenuItem: {
            /**
             * ID
             * Format: int32
             */
            readonly id: number;
            /** Format: int32 */
            inventory: number;
            price: components["schemas"]["Price"];
            title: string;
        };
        MenuItemInput: {
            inventory: components["schemas"]["InventoryInput"];
            price: components["schemas"]["PriceInput"];
            title: components["schemas"]["TitleInput"];
        };
        MenuItemPage: {
            /** Format: int32 */
            count: number;
            next: string | null;
            previous: string | null;
            results: components["schemas"]["MenuItem"][];
        };
        MenuItemPatchInput: {
            inventory?: components["schemas"]["InventoryInput"];
            price?: components["schemas"]["PriceInput"];
            title?: components["schemas"]["TitleInput"];
        };
        Message: {
            message: string;
        };
        OptionalCredentialsInput: {
            password?: components["schemas"]["Password"];
            username?: string;
        };
        /** @description Not blank; a number is read as its text (DRF's CharField). */
        Password: string;
        /**
         * @description A decimal of at most 6 digits, 2 of them after the point, >= 0, as a string with 2 places.
         * @example 5.50
         */
        Price: string;
        /**
         * @description A decimal of at most 6 digits, 2 of them after the point, >= 0 (DRF's DecimalField(max_digits=6, decimal_places=2, min_value=0)): a string in plain notation (no exponent; ASCII digits; spaces around it are ignored), or a JSON number. A number with more than 2 decimal places is refused with DRF's message, a rule left to the service: `multipleOf: 0.01` is not exact in binary floating point (validators refuse 0.29).
         * @example 5.50
         */
        PriceInput: string;
        /** @description Each backing service, `ok` or `down`; `redis` only when REDIS_URL is set. */
        ReadinessChecks: {
            /** @enum {string} */
            database: "ok" | "down";
            /** @enum {string} */
            redis?: "ok" | "down";
        };
        /** @description `refresh` is required, unless JWT_REFRESH_COOKIE is on (or `X-Refresh-Cookie: 1` is sent) and the `refresh_token` cookie carries it. */
        RefreshInput: {
            refresh?: string;
        };
        ResetConfirmInput: {
            new_password: components["schemas"]["Password"];
            re_new_password?: string;
            token: string;
            uid: string;
        };
        SetPasswordInput: {
            current_password: components["schemas"]["Password"];
            new_password: components["schemas"]["Password"];
            re_new_password?: string;
        };
        SetUsernameInput: {
            current_password: components["schemas"]["Password"];
            new_username: components["schemas"]["Username"];
            re_new_username?: string;
        };
        /** @description 1 to 255 characters once trimmed, not blank (DRF's CharField(max_length=255)); a number is read as its text. */
        TitleInput: string;
        /** @example 9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b */
        TokenKey: string;
        UidTokenInput: {
            token: string;
            uid: string;
        };
        User: {
            /** Email address */
            email: string;
            username: string;
        };
        UserCreated: {
            /** Email address */
            email: string;
            /**
             * ID
             * Format: int32
             */
            readonly id: number;
            username: string;
        };
        UserCreateInput: {
            /**
             * Email address
             * Format: email-or-blank
             */
            email?: string;
            password: components["schemas"]["Password"];
            re_password?: string;
            username: components["schemas"]["Username"];
        };
        /**
         * Format: username
         * @description Django's UnicodeUsernameValidator, in words. After NFKC normalisation (Django's normalize_username): 1 to 150 letters, digits and combining marks of any script, and the characters @ . + - _; no invisible character (a default-ignorable code point or a variation selector) and no combining mark at the start. Otherwise 400 "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters." Unique whatever the letter case: two names are the same when they are equal after NFKC, Unicode lower-casing and NFKC again.
         */
        Username: string;
        UsernameInput: {
            username: string;
        };
        /** @description A `username` sent here is ignored, as djoser does; use set_username. */
        UserUpdateInput: {
            /**
             * Email address
             * Format: email-or-blank
             */
            email?: string;
        };
        VerifyInput: {
            token: string;
        };
        /** @description What an OPTIONS request answers, as DRF's SimpleMetadata does. */
        ViewMetadata: {
            /** @description For a caller allowed to POST or PUT on this path (for PUT, on this object), the fields each takes. */
            actions?: {
                POST?: components["schemas"]["ActionFields"];
                PUT?: components["schemas"]["ActionFields"];
            };
            /** @description The options operation's description (DRF: the view's docstring). */
            description: string;
            /** @description The options operation's summary (DRF: the view's name). */
            name: string;
            /** @description The request content types the path's operations accept. */
            parses: string[];
            /** @description The media types the service answers in. */
            renders: string[];
        };
    };
    responses: {
        /** @description A user, with their flags and groups. */
        AdminUserResponse: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["AdminUser"];
            };
        };
        /** @description Valid. */
        Empty: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": Record<string, never>;
            };
        };
        /** @description Invalid input: DRF field errors, or `{"detail": ...}` for a body that does not parse. */
        FieldErrorsResponse: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["FieldErrors"] | components["schemas"]["Detail"];
            };
        };
        /** @description Authenticated, but not allowed. */
        Forbidden: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Detail"];
            };
        };
        /** @description A menu item. */
        MenuItemResponse: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["MenuItem"];
            };
        };
        /** @description A message. */
        MessageResponse: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Message"];
            };
        };
        /** @description The Accept header admits no JSON (the only representation served): none of its media ranges is `application/json`, `application/*` or `*\/*`. Checked first, as DRF's content negotiation is, before credentials are read. */
        NotAcceptable: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Detail"];
            };
        };
        /** @description No such object. */
        NotFound: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Detail"];
            };
        };
        /** @description Done. */
        Ok: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": {
                    /** @enum {string} */
                    message: "ok";
                };
            };
        };
        /** @description The endpoint, described as DRF's SimpleMetadata describes a view (generated from this document): `name` and `description` are the options operation's summary and description as written in openapi.yaml (the served copy adds who may call it); `renders`, the service's media types; `parses`, the content types the path's operations accept; and, for a caller allowed to POST or PUT here, `actions` with the fields of each. */
        Options: {
            headers: {
                /** @description The path's methods, in DRF's order (HEAD with GET, and OPTIONS). */
                Allow?: string;
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ViewMetadata"];
            };
        };
        /** @description The request body is over the configured limit (BODY_LIMIT). */
        PayloadTooLarge: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Detail"];
            };
        };
        /** @description A backing service is down: the database, or Redis when THROTTLE_FAIL_MODE is `closed`. Nothing was changed. Retry-After says when to try again; /readyz says which service. */
        ServiceUnavailable: {
            headers: {
                "Retry-After"?: number;
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Detail"];
            };
        };
        /** @description Too many requests. */
        Throttled: {
            headers: {
                "Retry-After"?: number;
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Detail"];
            };
        };
        /** @description The token or credentials are not valid. */
        TokenInvalid: {
            headers: {
                "WWW-Authenticate"?: string;
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Detail"];
            };
        };
        /** @description An access and a refresh token. */
        TokenPair: {
            headers: {
                /** @description With JWT_REFRESH_COOKIE on, or `X-Refresh-Cookie: 1` sent, the refresh token as an httpOnly, SameSite=Strict cookie. */
                "Set-Cookie"?: string;
                [name: string]: unknown;
            };
            content: {
                "application/json": {
                    access: components["schemas"]["Jwt"];
                    refresh: components["schemas"]["Jwt"];
                };
            };
        };
        /** @description A new access token, and a new refresh token when rotation is on. */
        TokenRefreshed: {
            headers: {
                /** @description With JWT_REFRESH_COOKIE on, or `X-Refresh-Cookie: 1` sent, the refresh token as an httpOnly, SameSite=Strict cookie. */
                "Set-Cookie"?: string;
                [name: string]: unknown;
            };
            content: {
                "application/json": {
                    access: components["schemas"]["Jwt"];
                    refresh?: components["schemas"]["Jwt"];
                };
            };
        };
        /** @description Missing or bad credentials. */
        Unauthorized: {
            headers: {
                "WWW-Authenticate"?: string;
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Detail"];
            };
        };
        /** @description The body is not JSON, a URL-encoded form or a multipart form. */
        UnsupportedMediaType: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Detail"];
            };
        };
        /** @description A user. */
        UserResponse: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["User"];
            };
        };
    };
    parameters: {
        /** @description The group's id. */
        GroupId: number;
        ItemId: number;
        /** @description The refresh token's `jti` claim. */
        Jti: string;
        /** @description The DRF key's id (as listed; never the key itself). */
        KeyId: number;
        /** @description The member's user id. */
        MemberId: number;
        /** @description A page number (or `last`); an invalid one is 404 `{"detail": "Invalid page."}`, as DRF; one over 20 characters is 400. */
        Page: string;
        /** @description Items per page, at most 100 (more is cut to 100; an invalid value means the default, 10; one over 20 characters is 400). */
        PageSize: string;
        /** @description The refresh token, when JWT_REFRESH_COOKIE is on or `X-Refresh-Cookie: 1` is sent, and the body has none (browser clients). */
        RefreshCookie: string;
        /** @description With `1` (browser clients such as the /admin console), whatever JWT_REFRESH_COOKIE says: the answer also sets the refresh token in the httpOnly, SameSite=Strict `refresh_token` cookie (Path=/api/token/, Secure on https), and refresh and blacklist read it from that cookie when the body has none (blacklist clears it). */
        RefreshCookieHeader: string;
        UserId: number;
        UsernameParam: string;
    };
    requestBodies: {
        AdminGroupCreate: {
            content: {
                "application/json": components["schemas"]["AdminGroupCreateInput"];
                "application/x-www-form-urlencoded": components["schemas"]["AdminGroupCreateInput"];
                "multipart/form-data": components["schemas"]["AdminGroupCreateInput"];
            };
        };
        AdminGroupMember: {
            content: {
                "application/json": components["schemas"]["AdminGroupMemberInput"];
                "application/x-www-form-urlencoded": components["schemas"]["AdminGroupMemberInput"];
                "multipart/form-data": components["schemas"]["AdminGroupMemberInput"];
            };
        };
        AdminSetPassword: {
            content: {
                "application/json": components["schemas"]["AdminSetPasswordInput"];
                "application/x-www-form-urlencoded": components["schemas"]["AdminSetPasswordInput"];
                "multipart/form-data": components["schemas"]["AdminSetPasswordInput"];
            };
        };
        AdminUserCreate: {
            content: {
                "application/json": components["schemas"]["AdminUserCreateInput"];
                "application/x-www-form-urlencoded": components["schemas"]["AdminUserCreateInput"];
                "multipart/form-data": components["schemas"]["AdminUserCreateInput"];
            };
        };
        AdminUserUpdate: {
            content: {
                "application/json": components["schemas"]["AdminUserUpdateInput"];
                "application/x-www-form-urlencoded": components["schemas"]["AdminUserUpdateInput"];
                "multipart/form-data": components["schemas"]["AdminUserUpdateInput"];
            };
        };
        AuthTokenCredentials: {
            content: {
                "application/json": components["schemas"]["AuthTokenCredentialsInput"];
                "application/x-www-form-urlencoded": components["schemas"]["AuthTokenCredentialsInput"];
                "multipart/form-data": components["schemas"]["AuthTokenCredentialsInput"];
            };
        };
        Credentials: {
            content: {
                "application/json": components["schemas"]["CredentialsInput"];
                "application/x-www-form-urlencoded": components["schemas"]["CredentialsInput"];
                "multipart/form-data": components["schemas"]["CredentialsInput"];
            };
        };
        CurrentPassword: {
            content: {
                "application/json": components["schemas"]["CurrentPasswordInput"];
                "application/x-www-form-urlencoded": components["schemas"]["CurrentPasswordInput"];
                "multipart/form-data": components["schemas"]["CurrentPasswordInput"];
            };
        };
        EmailBody: {
            content: {
                "application/json": components["schemas"]["EmailInput"];
                "application/x-www-form-urlencoded": components["schemas"]["EmailInput"];
                "multipart/form-data": components["schemas"]["EmailInput"];
            };
        };
        MenuItemBody: {
            content: {
                "application/json": components["schemas"]["MenuItemInput"];
                "application/x-www-form-urlencoded": components["schemas"]["MenuItemInput"];
                "multipart/form-data": components["schemas"]["MenuItemInput"];
            };
        };
        MenuItemPatch: {
            content: {
                "application/json": components["schemas"]["MenuItemPatchInput"];
                "application/x-www-form-urlencoded": components["schemas"]["MenuItemPatchInput"];
                "multipart/form-data": components["schemas"]["MenuItemPatchInput"];
            };
        };
        OptionalCredentials: {
            content: {
                "application/json": components["schemas"]["OptionalCredentialsInput"];
                "application/x-www-form-urlencoded": components["schemas"]["OptionalCredentialsInput"];
                "multipart/form-data": components["schemas"]["OptionalCredentialsInput"];
            };
        };
        Refresh: {
            content: {
                "application/json": components["schemas"]["RefreshInput"];
                "application/x-www-form-urlencoded": components["schemas"]["RefreshInput"];
                "multipart/form-data": components["schemas"]["RefreshInput"];
            };
        };
        ResetConfirm: {
            content: {
                "application/json": components["schemas"]["ResetConfirmInput"];
                "application/x-www-form-urlencoded": components["schemas"]["ResetConfirmInput"];
                "multipart/form-data": components["schemas"]["ResetConfirmInput"];
            };
        };
        SetPassword: {
            content: {
                "application/json": components["schemas"]["SetPasswordInput"];
                "application/x-www-form-urlencoded": components["schemas"]["SetPasswordInput"];
                "multipart/form-data": components["schemas"]["SetPasswordInput"];
            };
        };
        SetUsername: {
            content: {
                "application/json": components["schemas"]["SetUsernameInput"];
                "application/x-www-form-urlencoded": components["schemas"]["SetUsernameInput"];
                "multipart/form-data": components["schemas"]["SetUsernameInput"];
            };
        };
        UidToken: {
            content: {
                "application/json": components["schemas"]["UidTokenInput"];
                "application/x-www-form-urlencoded": components["schemas"]["UidTokenInput"];
                "multipart/form-data": components["schemas"]["UidTokenInput"];
            };
        };
        UserCreate: {
            content: {
                "application/json": components["schemas"]["UserCreateInput"];
                "application/x-www-form-urlencoded": components["schemas"]["UserCreateInput"];
                "multipart/form-data": components["schemas"]["UserCreateInput"];
            };
        };
        UsernameBody: {
            content: {
                "application/json": components["schemas"]["UsernameInput"];
                "application/x-www-form-urlencoded": components["schemas"]["UsernameInput"];
                "multipart/form-data": components["schemas"]["UsernameInput"];
            };
        };
        UserUpdate: {
            content: {
                "application/json": components["schemas"]["UserUpdateInput"];
                "application/x-www-form-urlencoded": components["schemas"]["UserUpdateInput"];
                "multipart/form-data": components["schemas"]["UserUpdateInput"];
            };
        };
        Verify: {
            content: {
                "application/json": components["schemas"]["VerifyInput"];
                "application/x-www-form-urlencoded": components["schemas"]["VerifyInput"];
                "multipart/form-data": components["schemas"]["VerifyInput"];
            };
        };
    };
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    jwks: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A JSON Web Key Set. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        keys: {
                            [key: string]: unknown;
                        }[];
                    };
                };
            };
            406: components["responses"]["NotAcceptable"];
        };
    };
    jwksOptions: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Options"];
            406: components["responses"]["NotAcceptable"];
        };
    };
    adminAuditList: {
        parameters: {
            query?: {
                /** @description Entries of this kind only. */
                kind?: components["schemas"]["AuditKind"];
                /** @description A page number (or `last`); an invalid one is 404 `{"detail": "Invalid page."}`, as DRF; one over 20 characters is 400. */
                page?: components["parameters"]["Page"];
                /** @description Items per page, at most 100 (more is cut to 100; an invalid value means the default, 10; one over 20 characters is 400). */
                page_size?: components["parameters"]["PageSize"];
                /** @description Entries at or after this time (ISO 8601). */
                since?: string;
                /** @description Entries at or before this time (ISO 8601). */
                until?: string;
                /** @description Entries about this user id, or made by them. */
                user?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of audit entries. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AuditPage"];
                };
            };
            400: components["responses"]["FieldErrorsResponse"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            406: components["responses"]["NotAcceptable"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    adminAuditOptions: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Options"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            406: components["responses"]["NotAcceptable"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    adminBlacklistList: {
        parameters: {
            query?: {
                /** @description A page number (or `last`); an invalid one is 404 `{"detail": "Invalid page."}`, as DRF; one over 20 characters is 400. */
                page?: components["parameters"]["Page"];
                /** @description Items per page, at most 100 (more is cut to 100; an invalid value means the default, 10; one over 20 characters is 400). */
                page_size?: components["parameters"]["PageSize"];
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of blacklisted tokens. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AdminBlacklistPage"];
                };
            };
            400: components["responses"]["FieldErrorsResponse"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            406: components["responses"]["NotAcceptable"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    adminBlacklistOptions: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Options"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            406: components["responses"]["NotAcceptable"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    adminGroupsList: {
        parameters: {
            query?: {
                /** @description A page number (or `last`); an invalid one is 404 `{"detail": "Invalid page."}`, as DRF; one over 20 characters is 400. */
                page?: components["parameters"]["Page"];
                /** @description Items per page, at most 100 (more is cut to 100; an invalid value means the default, 10; one over 20 characters is 400). */
                page_size?: components["parameters"]["PageSize"];
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of groups. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AdminGroupPage"];
                };
            };
            400: components["responses"]["FieldErrorsResponse"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            406: components["responses"]["NotAcceptable"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    adminGroupsCreate: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: components["requestBodies"]["AdminGroupCreate"];
        responses: {
            /** @description The new group. */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AdminGroup"];
                };
            };
            400: components["responses"]["FieldErrorsResponse"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    adminGroupsOptions: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Options"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            406: components["responses"]["NotAcceptable"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    adminGroupsDestroy: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The group's id. */
                id: components["parameters"]["GroupId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted. */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            400: components["responses"]["FieldErrorsResponse"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            406: components["responses"]["NotAcceptable"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    adminGroupOptions: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The group's id. */
                id: components["parameters"]["GroupId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Options"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            406: components["responses"]["NotAcceptable"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    adminGroupMembersList: {
        parameters: {
            query?: {
                /** @description A page number (or `last`); an invalid one is 404 `{"detail": "Invalid page."}`, as DRF; one over 20 characters is 400. */
                page?: components["parameters"]["Page"];
                /** @description Items per page, at most 100 (more is cut to 100; an invalid value means the default, 10; one over 20 characters is 400). */
                page_size?: components["parameters"]["PageSize"];
            };
            header?: never;
            path: {
                /** @description The group's id. */
                id: components["parameters"]["GroupId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of members. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AdminGroupMemberPage"];
                };
            };
            400: components["responses"]["FieldErrorsResponse"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            406: components["responses"]["NotAcceptable"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    adminGroupMembersAdd: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The group's id. */
                id: components["parameters"]["GroupId"];
            };
            cookie?: never;
        };
        requestBody: components["requestBodies"]["AdminGroupMember"];
        responses: {
            200: components["responses"]["Ok"];
            201: components["responses"]["Ok"];
            400: components["responses"]["FieldErrorsResponse"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    adminGroupMembersOptions: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The group's id. */
                id: components["parameters"]["GroupId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Options"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            406: components["responses"]["NotAcceptable"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    adminGroupMembersRemove: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The group's id. */
                id: components["parameters"]["GroupId"];
                /** @description The member's user id. */
                user_id: components["parameters"]["MemberId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Removed. */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            406: components["responses"]["NotAcceptable"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    adminGroupMemberOptions: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The group's id. */
                id: components["parameters"]["GroupId"];
                /** @description The member's user id. */
                user_id: components["parameters"]["MemberId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Options"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            406: components["responses"]["NotAcceptable"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    adminUsersList: {
        parameters: {
            query?: {
                /** @description Only members of the group with this name. */
                group?: string;
                /** @description Only active (`true`) or inactive (`false`) users. */
                is_active?: boolean;
                /** @description Only staff (`true`) or non-staff (`false`) users. */
                is_staff?: boolean;
                /** @description `username`, `date_joined`, `id` or `last_login`, `-` for descending, comma-separated; default `id`. */
                ordering?: string;
                /** @description A page number (or `last`); an invalid one is 404 `{"detail": "Invalid page."}`, as DRF; one over 20 characters is 400. */
                page?: components["parameters"]["Page"];
                /** @description Items per page, at most 100 (more is cut to 100; an invalid value means the default, 10; one over 20 characters is 400). */
                page_size?: components["parameters"]["PageSize"];
                /** @description Users whose username or email contains every term of this text (case-insensitive). */
                search?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of users. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AdminUserPage"];
                };
            };
            400: components["responses"]["FieldErrorsResponse"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            406: components["responses"]["NotAcceptable"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    adminUsersCreate: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: components["requestBodies"]["AdminUserCreate"];
        responses: {
            /** @description The new user. */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AdminUser"];
                };
            };
            400: components["responses"]["FieldErrorsResponse"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    adminUsersOptions: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Options"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            406: components["responses"]["NotAcceptable"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    adminUsersRetrieve: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["UserId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["AdminUserResponse"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            406: components["responses"]["NotAcceptable"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    adminUsersDestroy: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["UserId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted. */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            400: components["responses"]["FieldErrorsResponse"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            406: components["responses"]["NotAcceptable"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    adminUserOptions: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["UserId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Options"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            406: components["responses"]["NotAcceptable"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    adminUsersPartialUpdate: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["UserId"];
            };
            cookie?: never;
        };
        requestBody?: components["requestBodies"]["AdminUserUpdate"];
        responses: {
            200: components["responses"]["AdminUserResponse"];
            400: components["responses"]["FieldErrorsResponse"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    adminUsersLogoutAll: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["UserId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Every credential of the user is revoked. */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            406: components["responses"]["NotAcceptable"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    adminUserLogoutAllOptions: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["UserId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Options"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            406: components["responses"]["NotAcceptable"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    adminRefreshTokensList: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["UserId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The user's refresh tokens. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AdminRefreshToken"][];
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            406: components["responses"]["NotAcceptable"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    adminUserRefreshTokensOptions: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["UserId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Options"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            406: components["responses"]["NotAcceptable"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    adminRefreshTokensBlacklist: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["UserId"];
                /** @description The refresh token's `jti` claim. */
                jti: components["parameters"]["Jti"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Blacklisted. */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            406: components["responses"]["NotAcceptable"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    adminUserRefreshTokenBlacklistOptions: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["UserId"];
                /** @description The refresh token's `jti` claim. */
                jti: components["parameters"]["Jti"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Options"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            406: components["responses"]["NotAcceptable"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    adminUsersSetPassword: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["UserId"];
            };
            cookie?: never;
        };
        requestBody: components["requestBodies"]["AdminSetPassword"];
        responses: {
            /** @description Changed. */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            400: components["responses"]["FieldErrorsResponse"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    adminUserSetPasswordOptions: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["UserId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Options"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            406: components["responses"]["NotAcceptable"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    adminKeysList: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["UserId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The user's keys. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AdminKey"][];
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            406: components["responses"]["NotAcceptable"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    adminKeysCreate: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["UserId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The new key, shown once. */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AdminKeyCreated"];
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            406: components["responses"]["NotAcceptable"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    adminKeysRevokeAll: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["UserId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Revoked. */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            406: components["responses"]["NotAcceptable"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    adminUserTokensOptions: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["UserId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Options"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            406: components["responses"]["NotAcceptable"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    adminKeysRevoke: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["UserId"];
                /** @description The DRF key's id (as listed; never the key itself). */
                key_id: components["parameters"]["KeyId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Revoked. */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            406: components["responses"]["NotAcceptable"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    adminUserTokenOptions: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["UserId"];
                /** @description The DRF key's id (as listed; never the key itself). */
                key_id: components["parameters"]["KeyId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Options"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            406: components["responses"]["NotAcceptable"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    obtainAuthToken: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: components["requestBodies"]["AuthTokenCredentials"];
        responses: {
            /** @description A new key. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        token: components["schemas"]["TokenKey"];
                    };
                };
            };
            400: components["responses"]["FieldErrorsResponse"];
            401: components["responses"]["Unauthorized"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    obtainAuthTokenOptions: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Options"];
            401: components["responses"]["Unauthorized"];
            406: components["responses"]["NotAcceptable"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    managersList: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The managers. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["GroupMember"][];
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            406: components["responses"]["NotAcceptable"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    managersAdd: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: components["requestBodies"]["UsernameBody"];
        responses: {
            201: components["responses"]["Ok"];
            400: components["responses"]["FieldErrorsResponse"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    managersRemove: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: components["requestBodies"]["UsernameBody"];
        responses: {
            200: components["responses"]["Ok"];
            400: components["responses"]["FieldErrorsResponse"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    managersOptions: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Options"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            406: components["responses"]["NotAcceptable"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    managersRemoveById: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["UserId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Ok"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            406: components["responses"]["NotAcceptable"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    managerOptions: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["UserId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Options"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            406: components["responses"]["NotAcceptable"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    managerView: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["MessageResponse"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            406: components["responses"]["NotAcceptable"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    managerViewOptions: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Options"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            406: components["responses"]["NotAcceptable"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    menuItemsList: {
        parameters: {
            query?: {
                /** @description Fields to sort by (`id`, `title`, `price`, `inventory`), `-` for descending, separated by commas; unknown fields are ignored, as DRF's OrderingFilter does. */
                ordering?: string;
                /** @description A page number (or `last`); an invalid one is 404 `{"detail": "Invalid page."}`, as DRF. */
                page?: string;
                /** @description Items per page, at most 100 (more is cut to 100; an invalid value means the default, 10). */
                page_size?: string;
                /** @description Items whose title contains this text (case-insensitive). */
                search?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Menu items. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MenuItem"][] | components["schemas"]["MenuItemPage"];
                };
            };
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            406: components["responses"]["NotAcceptable"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    menuItemsCreate: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: components["requestBodies"]["MenuItemBody"];
        responses: {
            /** @description The created item. */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MenuItem"];
                };
            };
            400: components["responses"]["FieldErrorsResponse"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    menuItemsOptions: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Options"];
            401: components["responses"]["Unauthorized"];
            406: components["responses"]["NotAcceptable"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    menuItemsRetrieve: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["ItemId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["MenuItemResponse"];
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            406: components["responses"]["NotAcceptable"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    menuItemsUpdate: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["ItemId"];
            };
            cookie?: never;
        };
        requestBody: components["requestBodies"]["MenuItemBody"];
        responses: {
            200: components["responses"]["MenuItemResponse"];
            400: components["responses"]["FieldErrorsResponse"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    menuItemsDestroy: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["ItemId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted. */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            406: components["responses"]["NotAcceptable"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    menuItemOptions: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["ItemId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Options"];
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            406: components["responses"]["NotAcceptable"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    menuItemsPartialUpdate: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: components["parameters"]["ItemId"];
            };
            cookie?: never;
        };
        requestBody?: components["requestBodies"]["MenuItemPatch"];
        responses: {
            200: components["responses"]["MenuItemResponse"];
            400: components["responses"]["FieldErrorsResponse"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    secret: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["MessageResponse"];
            401: components["responses"]["Unauthorized"];
            406: components["responses"]["NotAcceptable"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    secretOptions: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Options"];
            401: components["responses"]["Unauthorized"];
            406: components["responses"]["NotAcceptable"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    tenCalls: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["MessageResponse"];
            401: components["responses"]["Unauthorized"];
            406: components["responses"]["NotAcceptable"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    tenCallsOptions: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Options"];
            401: components["responses"]["Unauthorized"];
            406: components["responses"]["NotAcceptable"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    throttleCheck: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["MessageResponse"];
            401: components["responses"]["Unauthorized"];
            406: components["responses"]["NotAcceptable"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    throttleCheckOptions: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Options"];
            401: components["responses"]["Unauthorized"];
            406: components["responses"]["NotAcceptable"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    throttleCheckAuth: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["MessageResponse"];
            401: components["responses"]["Unauthorized"];
            406: components["responses"]["NotAcceptable"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    throttleCheckAuthOptions: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Options"];
            401: components["responses"]["Unauthorized"];
            406: components["responses"]["NotAcceptable"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    tokenObtainPair: {
        parameters: {
            query?: never;
            header?: {
                /** @description With `1` (browser clients such as the /admin console), whatever JWT_REFRESH_COOKIE says: the answer also sets the refresh token in the httpOnly, SameSite=Strict `refresh_token` cookie (Path=/api/token/, Secure on https), and refresh and blacklist read it from that cookie when the body has none (blacklist clears it). */
                "X-Refresh-Cookie"?: components["parameters"]["RefreshCookieHeader"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: components["requestBodies"]["Credentials"];
        responses: {
            200: components["responses"]["TokenPair"];
            400: components["responses"]["FieldErrorsResponse"];
            401: components["responses"]["TokenInvalid"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    tokenObtainPairOptions: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Options"];
            406: components["responses"]["NotAcceptable"];
        };
    };
    tokenBlacklist: {
        parameters: {
            query?: never;
            header?: {
                /** @description With `1` (browser clients such as the /admin console), whatever JWT_REFRESH_COOKIE says: the answer also sets the refresh token in the httpOnly, SameSite=Strict `refresh_token` cookie (Path=/api/token/, Secure on https), and refresh and blacklist read it from that cookie when the body has none (blacklist clears it). */
                "X-Refresh-Cookie"?: components["parameters"]["RefreshCookieHeader"];
            };
            path?: never;
            cookie?: {
                /** @description The refresh token, when JWT_REFRESH_COOKIE is on or `X-Refresh-Cookie: 1` is sent, and the body has none (browser clients). */
                refresh_token?: components["parameters"]["RefreshCookie"];
            };
        };
        requestBody: components["requestBodies"]["Refresh"];
        responses: {
            200: components["responses"]["Empty"];
            400: components["responses"]["FieldErrorsResponse"];
            401: components["responses"]["TokenInvalid"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    tokenBlacklistOptions: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Options"];
            406: components["responses"]["NotAcceptable"];
        };
    };
    tokenRefresh: {
        parameters: {
            query?: never;
            header?: {
                /** @description With `1` (browser clients such as the /admin console), whatever JWT_REFRESH_COOKIE says: the answer also sets the refresh token in the httpOnly, SameSite=Strict `refresh_token` cookie (Path=/api/token/, Secure on https), and refresh and blacklist read it from that cookie when the body has none (blacklist clears it). */
                "X-Refresh-Cookie"?: components["parameters"]["RefreshCookieHeader"];
            };
            path?: never;
            cookie?: {
                /** @description The refresh token, when JWT_REFRESH_COOKIE is on or `X-Refresh-Cookie: 1` is sent, and the body has none (browser clients). */
                refresh_token?: components["parameters"]["RefreshCookie"];
            };
        };
        requestBody: components["requestBodies"]["Refresh"];
        responses: {
            200: components["responses"]["TokenRefreshed"];
            400: components["responses"]["FieldErrorsResponse"];
            401: components["responses"]["TokenInvalid"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    tokenRefreshOptions: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Options"];
            406: components["responses"]["NotAcceptable"];
        };
    };
    tokenVerify: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: components["requestBodies"]["Verify"];
        responses: {
            200: components["responses"]["Empty"];
            400: components["responses"]["FieldErrorsResponse"];
            401: components["responses"]["TokenInvalid"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    tokenVerifyOptions: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Options"];
            406: components["responses"]["NotAcceptable"];
        };
    };
    jwtCreate: {
        parameters: {
            query?: never;
            header?: {
                /** @description With `1` (browser clients such as the /admin console), whatever JWT_REFRESH_COOKIE says: the answer also sets the refresh token in the httpOnly, SameSite=Strict `refresh_token` cookie (Path=/api/token/, Secure on https), and refresh and blacklist read it from that cookie when the body has none (blacklist clears it). */
                "X-Refresh-Cookie"?: components["parameters"]["RefreshCookieHeader"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: components["requestBodies"]["Credentials"];
        responses: {
            200: components["responses"]["TokenPair"];
            400: components["responses"]["FieldErrorsResponse"];
            401: components["responses"]["TokenInvalid"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    jwtCreateOptions: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Options"];
            406: components["responses"]["NotAcceptable"];
        };
    };
    jwtRefresh: {
        parameters: {
            query?: never;
            header?: {
                /** @description With `1` (browser clients such as the /admin console), whatever JWT_REFRESH_COOKIE says: the answer also sets the refresh token in the httpOnly, SameSite=Strict `refresh_token` cookie (Path=/api/token/, Secure on https), and refresh and blacklist read it from that cookie when the body has none (blacklist clears it). */
                "X-Refresh-Cookie"?: components["parameters"]["RefreshCookieHeader"];
            };
            path?: never;
            cookie?: {
                /** @description The refresh token, when JWT_REFRESH_COOKIE is on or `X-Refresh-Cookie: 1` is sent, and the body has none (browser clients). */
                refresh_token?: components["parameters"]["RefreshCookie"];
            };
        };
        requestBody: components["requestBodies"]["Refresh"];
        responses: {
            200: components["responses"]["TokenRefreshed"];
            400: components["responses"]["FieldErrorsResponse"];
            401: components["responses"]["TokenInvalid"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    jwtRefreshOptions: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Options"];
            406: components["responses"]["NotAcceptable"];
        };
    };
    jwtVerify: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: components["requestBodies"]["Verify"];
        responses: {
            200: components["responses"]["Empty"];
            400: components["responses"]["FieldErrorsResponse"];
            401: components["responses"]["TokenInvalid"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    jwtVerifyOptions: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Options"];
            406: components["responses"]["NotAcceptable"];
        };
    };
    tokenCreate: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: components["requestBodies"]["OptionalCredentials"];
        responses: {
            /** @description A new key. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        auth_token: components["schemas"]["TokenKey"];
                    };
                };
            };
            400: components["responses"]["FieldErrorsResponse"];
            401: components["responses"]["Unauthorized"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    tokenCreateOptions: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Options"];
            401: components["responses"]["Unauthorized"];
            406: components["responses"]["NotAcceptable"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    tokenDestroy: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The key no longer works. */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            401: components["responses"]["Unauthorized"];
            406: components["responses"]["NotAcceptable"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    tokenDestroyOptions: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Options"];
            401: components["responses"]["Unauthorized"];
            406: components["responses"]["NotAcceptable"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    tokenDestroyAll: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Every credential of the user is revoked. */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            401: components["responses"]["Unauthorized"];
            406: components["responses"]["NotAcceptable"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    tokenDestroyAllOptions: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Options"];
            401: components["responses"]["Unauthorized"];
            406: components["responses"]["NotAcceptable"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    userList: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Users. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["User"][];
                };
            };
            401: components["responses"]["Unauthorized"];
            406: components["responses"]["NotAcceptable"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    userCreate: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: components["requestBodies"]["UserCreate"];
        responses: {
            /** @description The new user. */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UserCreated"];
                };
            };
            400: components["responses"]["FieldErrorsResponse"];
            401: components["responses"]["Unauthorized"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    usersOptions: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Options"];
            401: components["responses"]["Unauthorized"];
            406: components["responses"]["NotAcceptable"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    userRetrieve: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                username: components["parameters"]["UsernameParam"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["UserResponse"];
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            406: components["responses"]["NotAcceptable"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    userUpdate: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                username: components["parameters"]["UsernameParam"];
            };
            cookie?: never;
        };
        requestBody?: components["requestBodies"]["UserUpdate"];
        responses: {
            200: components["responses"]["UserResponse"];
            400: components["responses"]["FieldErrorsResponse"];
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    userDestroy: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                username: components["parameters"]["UsernameParam"];
            };
            cookie?: never;
        };
        requestBody: components["requestBodies"]["CurrentPassword"];
        responses: {
            /** @description Deleted. */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            400: components["responses"]["FieldErrorsResponse"];
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    userOptions: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                username: components["parameters"]["UsernameParam"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Options"];
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            406: components["responses"]["NotAcceptable"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    userPartialUpdate: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                username: components["parameters"]["UsernameParam"];
            };
            cookie?: never;
        };
        requestBody?: components["requestBodies"]["UserUpdate"];
        responses: {
            200: components["responses"]["UserResponse"];
            400: components["responses"]["FieldErrorsResponse"];
            401: components["responses"]["Unauthorized"];
            404: components["responses"]["NotFound"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    activation: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: components["requestBodies"]["UidToken"];
        responses: {
            /** @description Activated. */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            400: components["responses"]["FieldErrorsResponse"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    activationOptions: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Options"];
            401: components["responses"]["Unauthorized"];
            406: components["responses"]["NotAcceptable"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    userMe: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["UserResponse"];
            401: components["responses"]["Unauthorized"];
            406: components["responses"]["NotAcceptable"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    userMeUpdate: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: components["requestBodies"]["UserUpdate"];
        responses: {
            200: components["responses"]["UserResponse"];
            400: components["responses"]["FieldErrorsResponse"];
            401: components["responses"]["Unauthorized"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    userMeDestroy: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: components["requestBodies"]["CurrentPassword"];
        responses: {
            /** @description Deleted. */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            400: components["responses"]["FieldErrorsResponse"];
            401: components["responses"]["Unauthorized"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    userMeOptions: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Options"];
            401: components["responses"]["Unauthorized"];
            406: components["responses"]["NotAcceptable"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    userMePartialUpdate: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: components["requestBodies"]["UserUpdate"];
        responses: {
            200: components["responses"]["UserResponse"];
            400: components["responses"]["FieldErrorsResponse"];
            401: components["responses"]["Unauthorized"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    resendActivation: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: components["requestBodies"]["EmailBody"];
        responses: {
            /** @description Accepted. */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            400: components["responses"]["FieldErrorsResponse"];
            401: components["responses"]["Unauthorized"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    resendActivationOptions: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Options"];
            401: components["responses"]["Unauthorized"];
            406: components["responses"]["NotAcceptable"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    resetPasswordConfirm: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: components["requestBodies"]["ResetConfirm"];
        responses: {
            /** @description Changed. */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            400: components["responses"]["FieldErrorsResponse"];
            401: components["responses"]["Unauthorized"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    resetPasswordConfirmOptions: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Options"];
            401: components["responses"]["Unauthorized"];
            406: components["responses"]["NotAcceptable"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    resetPassword: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: components["requestBodies"]["EmailBody"];
        responses: {
            /** @description Accepted. */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            400: components["responses"]["FieldErrorsResponse"];
            401: components["responses"]["Unauthorized"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    resetPasswordOptions: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Options"];
            401: components["responses"]["Unauthorized"];
            406: components["responses"]["NotAcceptable"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    setPassword: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: components["requestBodies"]["SetPassword"];
        responses: {
            /** @description Changed. */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            400: components["responses"]["FieldErrorsResponse"];
            401: components["responses"]["Unauthorized"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    setPasswordOptions: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Options"];
            401: components["responses"]["Unauthorized"];
            406: components["responses"]["NotAcceptable"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    setUsername: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: components["requestBodies"]["SetUsername"];
        responses: {
            /** @description Changed. */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            400: components["responses"]["FieldErrorsResponse"];
            401: components["responses"]["Unauthorized"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["Throttled"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    setUsernameOptions: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Options"];
            401: components["responses"]["Unauthorized"];
            406: components["responses"]["NotAcceptable"];
            503: components["responses"]["ServiceUnavailable"];
        };
    };
    healthz: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The process answers. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @enum {string} */
                        status: "ok";
                    };
                };
            };
            406: components["responses"]["NotAcceptable"];
        };
    };
    healthzOptions: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Options"];
            406: components["responses"]["NotAcceptable"];
        };
    };
    readyz: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Every backing service answers. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        checks: components["schemas"]["ReadinessChecks"];
                        /** @enum {string} */
                        status: "ready";
                    };
                };
            };
            406: components["responses"]["NotAcceptable"];
            /** @description A backing service is down; `checks` says which. Retry-After says when to ask again. */
            503: {
                headers: {
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        checks: components["schemas"]["ReadinessChecks"];
                        detail: string;
                        /** @enum {string} */
                        status: "unavailable";
                    };
                };
            };
        };
    };
    readyzOptions: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Options"];
            406: components["responses"]["NotAcceptable"];
        };
    };
}
