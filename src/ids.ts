const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Whether a path or payload id is a UUID; anything else is answered as "not found" without a query. */
export const isId = (id: string): boolean => UUID.test(id)
