import Link from "next/link";

export default function NotFound() {
  return (
    <div className="mx-auto max-w-md py-24 text-center">
      <h1 className="text-2xl font-semibold">Not found</h1>
      <p className="mt-2 text-sm text-gray-500 dark:text-gray-400">That page or record does not exist.</p>
      <Link href="/" className="mt-4 inline-block text-brand-600 hover:underline dark:text-brand-300">
        Back to Pier
      </Link>
    </div>
  );
}
