/** Who made an authenticated client request (resolved from the access token by SessionService). */
export interface Requester {
  readonly userId: string;
  readonly deviceId: string;
  readonly accessTokenId: number;
  readonly isAdmin: boolean;
}
