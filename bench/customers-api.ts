/** The customers routes every benchmarked server answers, and the bodies sent to them. */
export const COLLECTION_PATH = '/microlib/api/models/customers';

/** The POST body of the measured runs, as the brief fixes it. */
export const POST_BODY = '{"firstName":"A","lastName":"B","email":"a@b.co"}';

/** A distinct valid customer for seeding. */
export function customerBody(n: number): Record<string, string> {
  return { firstName: `First${n}`, lastName: `Last${n}`, email: `customer${n}@example.com` };
}
